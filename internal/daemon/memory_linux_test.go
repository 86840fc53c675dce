package daemon

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCleanReadOnlyMappings(t *testing.T) {
	m := func(head string, anon int) string {
		return head + "\nSize:               1024 kB\nRss:                 512 kB\nAnonymous:          " + strconv.Itoa(anon) + " kB\nVmFlags: rd ex mr mw me\n"
	}
	smaps := m("00400000-00d01000 r-xp 00000000 fe:00 10004156                           /usr/sbin/lbhad", 0) +
		m("00d01000-01658000 r--p 00901000 fe:00 10004156                           /usr/sbin/lbhad", 0) +
		// RELRO: read-only now, written by the dynamic loader before.
		m("01658000-01660000 r--p 01258000 fe:00 10004156                           /usr/sbin/lbhad", 8) +
		m("01660000-016ec000 rw-p 01260000 fe:00 10004156                           /usr/sbin/lbhad", 0) +
		m("016ec000-03731000 rw-p 00000000 00:00 0", 100) +
		m("7f3254d0f000-7f3254e65000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6", 0) +
		m("zzzz-00400000 r-xp 00000000 fe:00 1 /usr/sbin/lbhad", 0) +
		m("00500000-00400000 r-xp 00000000 fe:00 1 /usr/sbin/lbhad", 0) +
		m("00400000-00500000 r-xs 00000000 fe:00 1 /usr/sbin/lbhad", 0) +
		"03000000-03001000 r-xp 00000000 fe:00 1 /usr/sbin/lbhad\nRss: 4 kB\n" // no Anonymous line: not known clean
	got := cleanReadOnlyMappings([]byte(smaps), "/usr/sbin/lbhad")
	want := [][2]uintptr{{0x400000, 0xd01000}, {0xd01000, 0x1658000}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cleanReadOnlyMappings (-want +got):\n%s", diff)
	}
}

// Unmapping the test binary's code and read-only data must leave it
// running: the pages fault back in. The RSS of those mappings drops.
func TestUnmapInitText(t *testing.T) {
	before := exeRSS(t)
	unmapInitText()
	after := exeRSS(t)
	t.Logf("read-only mappings of the test binary: %d KiB resident before, %d KiB after", before, after)
	if after >= before {
		t.Errorf("resident %d KiB after, %d KiB before: nothing was unmapped", after, before)
	}
	if s := strings.Repeat("x", 3); s != "xxx" { // runs code after the unmap
		t.Fatal(s)
	}
}

// exeRSS sums the Rss of the read-only mappings of the running binary.
func exeRSS(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skip(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	total, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 6 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			in = f[5] == exe && (f[1] == "r-xp" || f[1] == "r--p")
		case in && len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			total += n
		}
	}
	return total
}
