package logging

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzMatchJournalStream: any JOURNAL_STREAM value is parsed without
// panicking, a value that matches is exactly "DEV:INO" in canonical
// decimal or with leading zeros, and the canonical form always matches.
func FuzzMatchJournalStream(f *testing.F) {
	for _, s := range []string{"8:12345", "", ":", "0:0", "18446744073709551615:1", "1:2:3", "+1:2"} {
		f.Add(s, uint64(8), uint64(12345))
	}
	f.Fuzz(func(t *testing.T, env string, dev, ino uint64) {
		canon := strconv.FormatUint(dev, 10) + ":" + strconv.FormatUint(ino, 10)
		if !MatchJournalStream(canon, dev, ino) {
			t.Fatalf("%q does not match %d:%d", canon, dev, ino)
		}
		if MatchJournalStream(env, dev, ino) {
			d, i, _ := strings.Cut(env, ":")
			if pd, err := strconv.ParseUint(d, 10, 64); err != nil || pd != dev {
				t.Fatalf("%q matched dev %d", env, dev)
			}
			if pi, err := strconv.ParseUint(i, 10, 64); err != nil || pi != ino {
				t.Fatalf("%q matched ino %d", env, ino)
			}
		}
	})
}
