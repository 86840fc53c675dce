package kaconv

import (
	"fmt"
	"path/filepath"
	"strings"
)

// This file expands keepalived's conditional lines (@ID, @^ID) and
// parameters ($NAME=VALUE, $NAME, ${NAME}) line by line, before the
// words of a line are split, as keepalived 2.2.7 does while reading.
// docs/notes/keepalived-config-syntax.md describes the rules.

// maxExpansions bounds the substitutions made for one line of input:
// keepalived substitutes recursively, so $A=$A would never end.
const maxExpansions = 10000

// maxLine is keepalived's line buffer (MAXBUF in lib/parser.h): it
// refuses a substitution that would make a line this long, leaving the
// line half substituted. The converter stops with an error instead.
const maxLine = 1024

// definition is one $NAME=VALUE. A multiline value holds its lines
// separated by '\n'.
type definition struct {
	value     string
	multiline bool
}

// preprocessor holds what keepalived keeps while reading: the config id
// and the definitions, which stay in force across include files.
type preprocessor struct {
	configID string
	defs     map[string]*definition
	cont     *definition // a multiline definition still being read
}

// decomment cuts a keepalived comment ('!' or '#' outside double quotes,
// anywhere in the line) and the blanks around the line. A '\' before '!'
// or '#' outside quotes makes it an ordinary character; a '\' at the end
// of the line is kept (it continues a multiline definition).
func decomment(s string) string {
	s = strings.TrimLeft(s, " \t")
	var b strings.Builder
	quote, cont := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			quote = !quote
		case ch == '\\' && i+1 == len(s):
			cont = true
			continue
		case ch == '\\':
			if !quote && (s[i+1] == '#' || s[i+1] == '!') {
				b.WriteByte(s[i+1])
			} else {
				b.WriteByte(ch)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case !quote && (ch == '!' || ch == '#'):
			i = len(s)
			continue
		}
		b.WriteByte(ch)
	}
	out := strings.TrimRight(b.String(), " \t")
	if cont {
		out += `\`
	}
	return out
}

// expand turns one physical line into the lines keepalived goes on to
// parse: none for a definition, a comment or a conditional line that
// does not apply, several where a multiline parameter is used.
func (p *preprocessor) expand(raw, file string) ([]string, error) {
	line := decomment(strings.TrimSuffix(raw, "\r"))
	if p.cont != nil {
		p.continueDefinition(line)
		return nil, nil
	}
	if line == "" {
		return nil, nil
	}
	var out []string
	queue := []string{line}
	budget := maxExpansions
	for len(queue) > 0 {
		line, queue = queue[0], queue[1:]
		more, keep, err := p.expandOne(&line, file, &budget)
		if err != nil {
			return nil, err
		}
		if keep && line != "" {
			out = append(out, line)
		}
		queue = append(more, queue...)
	}
	return out, nil
}

// continueDefinition adds a line to the multiline definition being read.
// A blank line or one without a trailing '\' ends it.
func (p *preprocessor) continueDefinition(line string) {
	d := p.cont
	if line == "" {
		p.cont = nil
		if d.value == "" {
			d.multiline = false
		}
		return
	}
	if strings.HasSuffix(line, `\`) {
		line = strings.TrimRight(strings.TrimSuffix(line, `\`), " \t")
		if d.value != "" {
			d.value += "\n"
		}
		d.value += line
		return
	}
	if d.value != "" {
		d.value += "\n"
	}
	d.value += line
	p.cont = nil
}

// expandOne applies conditionals, definitions and substitution to one
// line, again and again while a substitution leaves a line that starts
// with '@' or still holds '$', as keepalived does. It returns the lines
// that follow from a multiline parameter and whether line is kept.
func (p *preprocessor) expandOne(line *string, file string, budget *int) (more []string, keep bool, err error) {
	for {
		s := *line
		if s == "" {
			return more, false, nil
		}
		if s[0] == '@' {
			rest, ok := p.conditional(s)
			if !ok {
				return more, false, nil
			}
			s = rest
			*line = s
		}
		if s != "" && s[0] == '$' && p.define(s) {
			return more, false, nil
		}
		if strings.HasPrefix(s, "~SEQ") || strings.HasPrefix(s, "~LST") {
			return nil, false, fmt.Errorf("keepalived's ~SEQ and ~LST line generators are not supported by the converter; expand them by hand: %w", ErrSyntax)
		}
		if s == "" || s[0] == '~' || !strings.Contains(s, "$") {
			return more, true, nil
		}
		replaced, extra, changed, err := p.substitute(s, file, budget)
		if err != nil {
			return nil, false, err
		}
		if !changed {
			return more, true, nil
		}
		more = append(extra, more...)
		*line = decomment(replaced)
		if !strings.HasPrefix(*line, "@") && !strings.Contains(*line, "$") {
			return more, true, nil
		}
	}
}

// conditional handles "@ID rest" and "@^ID rest": it returns rest when
// the line applies to this config id. A line with nothing after the id
// never applies.
func (p *preprocessor) conditional(s string) (string, bool) {
	rev := strings.HasPrefix(s, "@^")
	ofs := 1
	if rev {
		ofs = 2
	}
	end := strings.IndexAny(s[ofs:], " \t")
	if end < 0 {
		return "", false
	}
	id := s[ofs : ofs+end]
	match := p.configID != "" && id == p.configID
	if match == rev {
		return "", false
	}
	return strings.TrimLeft(s[ofs+end:], " \t"), true
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }

// define stores "$NAME=VALUE" (no blank before '='). It reports false
// when s is not a definition, which keepalived then parses as a line.
func (p *preprocessor) define(s string) bool {
	if len(s) < 2 || !isNameStart(s[1]) {
		return false
	}
	i := 2
	for i < len(s) && s[i] != '=' {
		if !isNameChar(s[i]) {
			return false
		}
		i++
	}
	if i == len(s) {
		return false
	}
	name := s[1:i]
	value := strings.TrimLeft(s[i+1:], " \t")
	d := &definition{value: value}
	if strings.HasSuffix(value, `\`) {
		d.multiline = true
		d.value = strings.TrimRight(strings.TrimSuffix(value, `\`), " \t")
		p.cont = d
	}
	if p.defs == nil {
		p.defs = map[string]*definition{}
	}
	p.defs[name] = d
	return true
}

// lookup finds the parameter referred to at s (just after a '$'): NAME
// followed by a blank, ',', ')' or the end, or {NAME}. It returns the
// definition and the length of the reference after the '$'. A
// multiline parameter is used only where it ends the line.
func (p *preprocessor) lookup(s, file string) (*definition, int, error) {
	braces := strings.HasPrefix(s, "{")
	name := s
	if braces {
		name = s[1:]
	}
	if name == "" || !isNameStart(name[0]) {
		return nil, 0, nil
	}
	n := 1
	for n < len(name) && isNameChar(name[n]) {
		n++
	}
	refLen := n
	if braces {
		if n >= len(name) || name[n] != '}' {
			return nil, 0, nil
		}
		refLen = n + 2
	} else if n < len(name) && !strings.ContainsRune(" \t,)", rune(name[n])) {
		return nil, 0, nil
	}
	id := name[:n]
	d, ok := p.defs[id]
	if !ok {
		d, ok = p.standard(id, file)
		if !ok {
			if id == "_RANDOM" || id == "_INSTANCE" {
				return nil, 0, fmt.Errorf("keepalived's $%s is not supported by the converter; write the value by hand: %w", id, ErrSyntax)
			}
			return nil, 0, nil
		}
	}
	if d.multiline && refLen != len(s) {
		return nil, 0, nil
	}
	return d, refLen, nil
}

// standard returns keepalived's predefined parameters that have one
// fixed value for a file.
func (p *preprocessor) standard(id, file string) (*definition, bool) {
	switch id {
	case "_HASH":
		return &definition{value: "#"}, true
	case "_BANG":
		return &definition{value: "!"}, true
	case "_PWD":
		dir, err := filepath.Abs(filepath.Dir(file))
		if err != nil {
			return nil, false
		}
		return &definition{value: dir}, true
	}
	return nil, false
}

// substitute replaces parameters in s from left to right, rescanning
// each replacement (keepalived's substitution is recursive). Undefined
// names stay as written. A multiline parameter puts its first line in
// place and returns the others in extra.
func (p *preprocessor) substitute(s, file string, budget *int) (out string, extra []string, changed bool, err error) {
	pos := 0
	for {
		i := strings.IndexByte(s[pos:], '$')
		if i < 0 || pos+i+1 >= len(s) {
			return s, extra, changed, nil
		}
		at := pos + i
		d, refLen, err := p.lookup(s[at+1:], file)
		if err != nil {
			return "", nil, false, err
		}
		if d == nil {
			pos = at + 1
			continue
		}
		*budget--
		if *budget < 0 {
			return "", nil, false, fmt.Errorf("parameter substitution does not end (does a parameter refer to itself?): %w", ErrSyntax)
		}
		changed = true
		value := d.value
		if d.multiline {
			lines := strings.Split(value, "\n")
			value = lines[0]
			extra = append(extra, lines[1:]...)
		}
		s = s[:at] + value + s[at+1+refLen:]
		if len(s) >= maxLine {
			return "", nil, false, fmt.Errorf("parameter substitution makes the line %d bytes or longer, where keepalived stops substituting: %w", maxLine, ErrSyntax)
		}
		if strings.HasPrefix(strings.TrimLeft(value, " \t"), "~") {
			return s, extra, changed, nil
		}
		pos = at
	}
}
