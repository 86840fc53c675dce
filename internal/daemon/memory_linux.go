package daemon

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// unmapInitText unmaps the read-only file mappings of lbhad's own
// executable (code and read-only data) with MADV_DONTNEED. For a
// private file mapping none of whose pages was ever written this only
// drops the page-table entries: the next access faults the page back in
// from the page cache, unchanged, so nothing the daemon needs is lost.
// A mapping with any anonymous (copied-on-write) page is left alone:
// in a dynamically linked build the loader's relocations (RELRO, the
// GOT) live in such a read-only mapping, and dropping them would send
// calls to address 0. Writable mappings are never touched. Failures are
// ignored: the pages then stay mapped, as before.
func unmapInitText() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	for _, r := range cleanReadOnlyMappings(smaps, exe) {
		// The raw call: the ranges are addresses, not Go memory.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, r[0], r[1]-r[0], unix.MADV_DONTNEED)
	}
}

// cleanReadOnlyMappings returns the [start, end) ranges of the mappings
// in smaps (the content of /proc/self/smaps) that map the file path
// read-only and private (r-xp, r--p) and hold no anonymous page.
func cleanReadOnlyMappings(smaps []byte, path string) [][2]uintptr {
	var (
		out  [][2]uintptr
		cur  [2]uintptr
		want bool // cur maps path read-only and no Anonymous line said otherwise yet
		seen bool // cur's Anonymous line was read
	)
	flush := func() {
		if want && seen {
			out = append(out, cur)
		}
		want, seen = false, false
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := bytes.Cut(f[0], []byte("-")); ok && !bytes.HasSuffix(f[0], []byte(":")) {
			flush()
			if len(f) < 6 || string(f[5]) != path {
				continue
			}
			if p := string(f[1]); p != "r-xp" && p != "r--p" {
				continue
			}
			a, err1 := strconv.ParseUint(string(lo), 16, 64)
			b, err2 := strconv.ParseUint(string(hi), 16, 64)
			if err1 != nil || err2 != nil || b <= a {
				continue
			}
			cur, want = [2]uintptr{uintptr(a), uintptr(b)}, true
			continue
		}
		if want && string(f[0]) == "Anonymous:" && len(f) >= 2 {
			seen = true
			if string(f[1]) != "0" {
				want = false
			}
		}
	}
	flush()
	return out
}
