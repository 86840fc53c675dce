package notify

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
		err  error
	}{
		{in: "/bin/notify.sh master", want: []string{"/bin/notify.sh", "master"}},
		{in: `  /x  'a b'  "c \"d\" \$e"  f\ g `, want: []string{"/x", "a b", `c "d" $e`, "f g"}},
		{in: `/x ''`, want: []string{"/x", ""}},
		{in: `/x 'open`, err: ErrUnterminatedQuote},
		{in: `/x "open`, err: ErrUnterminatedQuote},
		{in: " \t", err: ErrEmptyCommand},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitCommand(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("words (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzSplitCommand checks that words re-quoted in single quotes split
// back to themselves, and that no input panics.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"a b", `"x\"y"`, `'q' r\ s`, "\\", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitCommand(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, w := range words {
			b.WriteString(" '" + strings.ReplaceAll(w, "'", `'\''`) + "'")
		}
		again, err := splitCommand(b.String())
		if err != nil {
			t.Fatalf("re-split %q: %v", b.String(), err)
		}
		if diff := cmp.Diff(words, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
