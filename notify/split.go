package notify

import (
	"errors"
	"strings"
)

// ErrUnterminatedQuote is returned for a command line with a quote
// without its closing partner.
var ErrUnterminatedQuote = errors.New("unterminated quote")

// ErrEmptyCommand is returned for a command line with no words.
var ErrEmptyCommand = errors.New("empty command")

// splitCommand splits a notify command line into words like a POSIX shell
// does for simple quoting, without running a shell: blanks separate
// words; 'single quotes' keep everything; "double quotes" keep everything
// but let a backslash escape $ ` " \ and newline; a backslash outside
// quotes keeps the next character. Nothing is expanded. It is the
// checker package's splitter, copied because notify imports no other
// lbhad package. It returns ErrUnterminatedQuote or ErrEmptyCommand.
func splitCommand(s string) ([]string, error) {
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
				if s[i] != '\n' {
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
