package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "/bin/true", want: []string{"/bin/true"}},
		{in: "  /usr/bin/check  -p 80\t-v ", want: []string{"/usr/bin/check", "-p", "80", "-v"}},
		{in: `check 'a b' "c d"`, want: []string{"check", "a b", "c d"}},
		{in: `check 'it''s'`, want: []string{"check", "its"}},
		{in: `check "say \"hi\" \$HOME \n"`, want: []string{"check", `say "hi" $HOME \n`}},
		{in: `check a\ b \'`, want: []string{"check", "a b", "'"}},
		{in: `check '$HOME' ""`, want: []string{"check", "$HOME", ""}},
		{in: `check x"y"'z'`, want: []string{"check", "xyz"}},
		{in: `check 'open`, err: true},
		{in: `check "open`, err: true},
		{in: `check "open\"`, err: true},
		{in: "   ", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("SplitCommand(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SplitCommand(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	if _, err := SplitCommand(`a 'b`); !errors.Is(err, ErrUnterminatedQuote) {
		t.Errorf("error %v is not ErrUnterminatedQuote", err)
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{`a 'b c' "d\"e" f\ g`, `'`, `"\`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err != nil {
			return
		}
		// Re-quoting every word in single quotes must give the same words.
		var q string
		for _, w := range words {
			q += " '" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		again, err := SplitCommand(q)
		if err != nil {
			t.Fatalf("requoted %q: %v", q, err)
		}
		if diff := cmp.Diff(words, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
