package kaconv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxIncludeDepth bounds nested includes so that a file including itself
// (directly or through others) fails instead of recursing forever.
// keepalived stops at the same kind of limit.
const maxIncludeDepth = 32

// maxIncludeFiles and maxIncludeBytes bound what one conversion reads in
// total. The depth limit alone does not: 31 files that each include the
// others twice stay within it and still expand to hundreds of megabytes.
// Real configurations are far below both.
const (
	maxIncludeFiles = 4096
	maxIncludeBytes = 16 << 20
)

// ErrTooLarge is wrapped (together with ErrSyntax) when includes read
// more than maxIncludeFiles files or maxIncludeBytes bytes in total.
var ErrTooLarge = errors.New("keepalived config too large")

// ErrSyntax is wrapped by every error about the structure of a
// keepalived.conf file (unbalanced braces, unterminated quotes, include
// loops), so callers can tell a bad input from an I/O failure.
var ErrSyntax = errors.New("keepalived.conf syntax error")

// errUnclosed travels from the end of input up to the innermost open
// block, which turns it into an ErrSyntax naming its own position.
var errUnclosed = errors.New("end of input inside a block")

type tokKind int

const (
	tokWord tokKind = iota
	tokOpen
	tokClose
	tokEOL
)

type token struct {
	kind   tokKind
	text   string
	quoted bool // text came from "..." and may hold spaces
	file   string
	line   int
}

// node is one keepalived statement: a keyword with its arguments on one
// line, and for blocks (`keyword args { ... }`) the statements inside.
// Every node remembers where it was written, so that each option the
// converter drops can be reported as file:line.
type node struct {
	Name     string
	Args     []arg
	Block    bool
	Children []*node
	File     string
	Line     int
}

// arg is one argument of a statement. Quoted is true when it was written
// in double quotes (the quotes are not part of Text).
type arg struct {
	Text   string
	Quoted bool
}

// Pos returns "file:line".
func (n *node) Pos() string { return fmt.Sprintf("%s:%d", n.File, n.Line) }

// Text returns the statement as written, without its block body.
func (n *node) Text() string {
	var b strings.Builder
	b.WriteString(n.Name)
	for _, a := range n.Args {
		b.WriteByte(' ')
		if a.Quoted {
			b.WriteString(`"` + a.Text + `"`)
		} else {
			b.WriteString(a.Text)
		}
	}
	if n.Block {
		b.WriteString(" { ... }")
	}
	return b.String()
}

// parseFile reads a keepalived.conf file, expands its include statements
// and returns the top-level statements. Include patterns are globs,
// relative to the directory of the file that contains them; matches are
// read in sorted order, as keepalived does. An include that matches
// nothing is skipped, again like keepalived; parseFile reports it through
// the returned notes (each a node whose Name is "include").
//
// Errors wrap ErrSyntax for malformed input, or the os error when a file
// cannot be read.
func parseFile(path string) (nodes []*node, unmatched []*node, err error) {
	return newLexer().parseFile(path)
}

func (l *lexer) parseFile(path string) (nodes []*node, unmatched []*node, err error) {
	var toks []token
	if err := l.file(path, 0, &toks); err != nil {
		return nil, nil, err
	}
	p := &parser{toks: toks}
	nodes, err = p.body(false)
	if err != nil {
		return nil, nil, err
	}
	return nodes, l.unmatched, nil
}

// parseBytes parses src as the contents of a file called name. Include
// statements are resolved relative to name's directory.
func parseBytes(src []byte, name string) ([]*node, []*node, error) {
	return newLexer().parse(src, name)
}

func (l *lexer) parse(src []byte, name string) ([]*node, []*node, error) {
	var toks []token
	if err := l.source(src, name, 0, &toks); err != nil {
		return nil, nil, err
	}
	p := &parser{toks: toks}
	nodes, err := p.body(false)
	if err != nil {
		return nil, nil, err
	}
	return nodes, l.unmatched, nil
}

type lexer struct {
	preprocessor
	unmatched []*node
	files     int // files read so far, the top one included
	bytes     int // bytes read so far
	// glob and read reach the file system; tests and fuzzing replace them.
	glob func(pattern string) ([]string, error)
	read func(name string) ([]byte, error)
}

func newLexer() *lexer { return &lexer{glob: filepath.Glob, read: readRegular} }

// ErrNotRegular is returned when a configuration or include path names a
// device, directory or other non-regular file: reading `include /dev/*`
// or a FIFO could block or never end.
var ErrNotRegular = errors.New("not a regular file")

func readRegular(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	return os.ReadFile(name)
}

func (l *lexer) file(path string, depth int, out *[]token) error {
	src, err := l.read(path)
	if err != nil {
		return fmt.Errorf("reading keepalived config: %w", err)
	}
	return l.source(src, path, depth, out)
}

// count adds one file of n bytes to the totals and fails once they pass
// the limits; where names the file.
func (l *lexer) count(n int, where string) error {
	l.files++
	l.bytes += n
	switch {
	case l.files > maxIncludeFiles:
		return fmt.Errorf("%s: the config and its includes read more than %d files in total (do files include each other?): %w: %w", where, maxIncludeFiles, ErrTooLarge, ErrSyntax)
	case l.bytes > maxIncludeBytes:
		return fmt.Errorf("%s: the config and its includes read more than %d MiB in total (do files include each other?): %w: %w", where, maxIncludeBytes>>20, ErrTooLarge, ErrSyntax)
	}
	return nil
}

func (l *lexer) source(src []byte, name string, depth int, out *[]token) error {
	if err := l.count(len(src), name); err != nil {
		return err
	}
	lines := strings.Split(string(src), "\n")
	for i, raw := range lines {
		lineNo := i + 1
		expanded, err := l.expand(raw, name)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		for _, text := range expanded {
			if err := l.line(text, name, lineNo, depth, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// line splits one expanded line into tokens, following an include.
func (l *lexer) line(text, name string, lineNo, depth int, out *[]token) error {
	words, err := splitLine(text, name, lineNo)
	if err != nil || len(words) == 0 {
		return err
	}
	if w := words[0]; w.kind == tokWord && !w.quoted && isInclude(w.text) {
		return l.include(words, name, lineNo, depth, out)
	}
	*out = append(*out, words...)
	*out = append(*out, token{kind: tokEOL, file: name, line: lineNo})
	return nil
}

func (l *lexer) include(words []token, name string, lineNo, depth int, out *[]token) error {
	if len(words) != 2 || words[1].kind != tokWord {
		return fmt.Errorf("%s:%d: include needs exactly one file name or pattern: %w", name, lineNo, ErrSyntax)
	}
	if depth+1 > maxIncludeDepth {
		return fmt.Errorf("%s:%d: includes nested more than %d deep (does a file include itself?): %w", name, lineNo, maxIncludeDepth, ErrSyntax)
	}
	pattern := words[1].text
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(name), pattern)
	}
	matches, err := l.glob(pattern)
	if err != nil {
		return fmt.Errorf("%s:%d: bad include pattern %q: %w", name, lineNo, words[1].text, ErrSyntax)
	}
	sort.Strings(matches)
	if len(matches) == 0 {
		l.unmatched = append(l.unmatched, &node{Name: words[0].text, Args: []arg{{Text: words[1].text, Quoted: words[1].quoted}}, File: name, Line: lineNo})
		return nil
	}
	for _, m := range matches {
		if err := l.file(m, depth+1, out); err != nil {
			return err
		}
	}
	return nil
}

// isInclude reports whether word is keepalived's include or one of its
// variants (includer, includem, includew, includeb, includea), which
// differ only in which problems keepalived reports; the converter
// reports an include that matches nothing in every case.
func isInclude(word string) bool {
	switch word {
	case "include", "includer", "includem", "includew", "includeb", "includea":
		return true
	}
	return false
}

// splitLine cuts one line into words and braces. Comments are already
// gone (decomment cut them as keepalived does), so '!' and '#' here are
// ordinary characters.
func splitLine(s, file string, line int) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			i++
		case c == '{':
			toks = append(toks, token{kind: tokOpen, text: "{", file: file, line: line})
			i++
		case c == '}':
			toks = append(toks, token{kind: tokClose, text: "}", file: file, line: line})
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if s[j] == '"' {
					closed = true
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("%s:%d: unterminated quoted string: %w", file, line, ErrSyntax)
			}
			toks = append(toks, token{kind: tokWord, text: b.String(), quoted: true, file: file, line: line})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\v\f{}\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], file: file, line: line})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() (token, bool) {
	if p.pos >= len(p.toks) {
		return token{}, false
	}
	return p.toks[p.pos], true
}

// body reads statements until the closing brace of the enclosing block
// (nested) or the end of input (top level).
func (p *parser) body(nested bool) ([]*node, error) {
	var nodes []*node
	for {
		t, ok := p.peek()
		if !ok {
			if nested {
				return nil, errUnclosed
			}
			return nodes, nil
		}
		switch t.kind {
		case tokEOL:
			p.pos++
		case tokClose:
			if !nested {
				return nil, fmt.Errorf("%s:%d: '}' without a matching '{': %w", t.file, t.line, ErrSyntax)
			}
			p.pos++
			return nodes, nil
		case tokOpen:
			return nil, fmt.Errorf("%s:%d: '{' without a keyword before it: %w", t.file, t.line, ErrSyntax)
		default:
			n, err := p.statement()
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
	}
}

func (p *parser) statement() (*node, error) {
	first := p.toks[p.pos]
	p.pos++
	n := &node{Name: first.text, File: first.file, Line: first.line}
	for {
		t, ok := p.peek()
		if !ok || t.kind == tokClose {
			return n, nil
		}
		switch t.kind {
		case tokWord:
			n.Args = append(n.Args, arg{Text: t.text, Quoted: t.quoted})
			p.pos++
		case tokEOL:
			p.pos++
			// keepalived also accepts the opening brace on the next line.
			q := p.pos
			for q < len(p.toks) && p.toks[q].kind == tokEOL {
				q++
			}
			if q < len(p.toks) && p.toks[q].kind == tokOpen {
				p.pos = q
				continue
			}
			return n, nil
		case tokOpen:
			p.pos++
			children, err := p.body(true)
			if errors.Is(err, errUnclosed) {
				return nil, fmt.Errorf("%s:%d: block %q is not closed: missing '}': %w", n.File, n.Line, n.Name, ErrSyntax)
			}
			if err != nil {
				return nil, err
			}
			n.Block = true
			n.Children = children
			return n, nil
		}
	}
}
