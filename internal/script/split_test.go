package script

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{in: "/bin/true", want: []string{"/bin/true"}},
		{in: "/bin/notify.sh master", want: []string{"/bin/notify.sh", "master"}},
		{in: "  /usr/bin/check  -p 80\t-v ", want: []string{"/usr/bin/check", "-p", "80", "-v"}},
		{in: `check 'a b' "c d"`, want: []string{"check", "a b", "c d"}},
		{in: `check 'it''s'`, want: []string{"check", "its"}},
		{in: `check "say \"hi\" \$HOME \n"`, want: []string{"check", `say "hi" $HOME \n`}},
		{in: `check a\ b \'`, want: []string{"check", "a b", "'"}},
		{in: `check '$HOME' ""`, want: []string{"check", "$HOME", ""}},
		{in: `check x"y"'z'`, want: []string{"check", "xyz"}},
		{in: `  /x  'a b'  "c \"d\" \$e"  f\ g `, want: []string{"/x", "a b", `c "d" $e`, "f g"}},
		{in: `/x ''`, want: []string{"/x", ""}},
		{in: "a\\\nb \"c\\\nd\"", want: []string{"ab", "cd"}},
		{in: `check 'open`, err: ErrUnterminatedQuote},
		{in: `check "open`, err: ErrUnterminatedQuote},
		{in: `check "open\"`, err: ErrUnterminatedQuote},
		{in: `/x 'open`, err: ErrUnterminatedQuote},
		{in: `/x "open`, err: ErrUnterminatedQuote},
		{in: "   ", err: ErrEmptyCommand},
		{in: " \t", err: ErrEmptyCommand},
		{in: "", err: ErrEmptyCommand},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Split(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Split(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzSplit checks that words re-quoted in single quotes split back to
// themselves, and that no input panics.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{`a 'b c' "d\"e" f\ g`, `'`, `"\`, `\`, "a b", `"x\"y"`, `'q' r\ s`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, w := range words {
			b.WriteString(" '" + strings.ReplaceAll(w, "'", `'\''`) + "'")
		}
		again, err := Split(b.String())
		if err != nil {
			t.Fatalf("re-split %q: %v", b.String(), err)
		}
		if diff := cmp.Diff(words, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
