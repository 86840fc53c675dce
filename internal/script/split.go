package script

import (
	"errors"
	"strings"
)

// Sentinel errors of Split, for callers that report them differently.
var (
	// ErrUnterminatedQuote is returned for a quote without its closing
	// partner.
	ErrUnterminatedQuote = errors.New("unterminated quote")
	// ErrEmptyCommand is returned for a command line with no words.
	ErrEmptyCommand = errors.New("empty command")
)

// Split splits a command line into words the way a POSIX shell would for
// simple quoting, without running a shell, as keepalived does for its
// scripts: words are separated by blanks; 'single quotes' keep everything
// literally; "double quotes" keep everything except that a backslash
// escapes $ ` " \ and newline; a backslash outside quotes keeps the next
// character literally. There is no expansion of variables, globs or
// substitutions. It returns ErrUnterminatedQuote or ErrEmptyCommand.
func Split(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				if s[i] != '\n' { // backslash-newline joins lines
					cur.WriteByte(s[i])
				}
			}
		case ch == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, ErrUnterminatedQuote
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, ErrUnterminatedQuote
			}
		default:
			inWord = true
			cur.WriteByte(ch)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, ErrEmptyCommand
	}
	return words, nil
}
