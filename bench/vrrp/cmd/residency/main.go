//go:build linux

// Command residency tells which pages of a running process's own
// executable are mapped into it (resident in its page tables), by ELF
// section, and for .text by the Go package of the symbols on each page.
// docs/PERFORMANCE.md ("VRRP memory", third round) used it to find what
// the file-backed part of lbhad's RSS holds. Needs root (or the same
// user) to read /proc/PID/pagemap.
//
//	go run ./bench/vrrp/cmd/residency PID
package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

const page = 4096

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: residency PID")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "residency:", err)
		os.Exit(1)
	}
}

func run(pid string) error {
	exe, err := os.Readlink("/proc/" + pid + "/exe")
	if err != nil {
		return err
	}
	f, err := elf.Open("/proc/" + pid + "/exe")
	if err != nil {
		return err
	}
	defer f.Close()
	present, bias, err := mappedPages(pid, exe)
	if err != nil {
		return err
	}
	if f.Type == elf.ET_DYN { // position-independent: addresses are load base + vaddr
		low := ^uint64(0)
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD {
				low = min(low, p.Vaddr&^(page-1))
			}
		}
		for i := range present {
			present[i] -= bias - low
		}
	}
	bySection := map[string]int{}
	for _, a := range present {
		name := "(no section)"
		for _, s := range f.Sections {
			if s.Flags&elf.SHF_ALLOC != 0 && a < s.Addr+s.Size && s.Addr < a+page {
				name = s.Name
				break
			}
		}
		bySection[name] += page
	}
	fmt.Printf("%s: %d KiB of its own executable mapped\n", exe, len(present)*page/1024)
	for _, k := range sortedKeys(bySection) {
		size := uint64(0)
		if s := f.Section(k); s != nil {
			size = s.Size
		}
		fmt.Printf("  %-16s %6d KiB of %6d KiB\n", k, bySection[k]/1024, size/1024)
	}
	text := f.Section(".text")
	syms, err := f.Symbols()
	if text == nil || err != nil {
		return nil // stripped: sections only
	}
	sort.Slice(syms, func(i, j int) bool { return syms[i].Value < syms[j].Value })
	byPkg := map[string]int{} // bytes; a page shared by packages is split
	for _, a := range present {
		if a+page <= text.Addr || a >= text.Addr+text.Size {
			continue
		}
		pkgs := map[string]bool{}
		for i := sort.Search(len(syms), func(i int) bool { return syms[i].Value >= a }); i < len(syms) && syms[i].Value < a+page; i++ {
			pkgs[pkgOf(syms[i].Name)] = true
		}
		for p := range pkgs {
			byPkg[p] += page / len(pkgs)
		}
	}
	fmt.Println(".text by package (KiB):")
	for i, k := range sortedKeys(byPkg) {
		if i == 30 {
			break
		}
		fmt.Printf("  %-50s %5d\n", k, byPkg[k]/1024)
	}
	return nil
}

// mappedPages returns the addresses of the pages of exe's mappings in
// process pid that its page tables map (pagemap's present bit), and the
// start of the mapping of the file's first page (the load base of a
// position-independent executable).
func mappedPages(pid, exe string) (out []uint64, base uint64, err error) {
	pm, err := os.Open("/proc/" + pid + "/pagemap")
	if err != nil {
		return nil, 0, err
	}
	defer pm.Close()
	maps, err := os.Open("/proc/" + pid + "/maps")
	if err != nil {
		return nil, 0, err
	}
	defer maps.Close()
	entry := make([]byte, 8)
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != exe {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			return nil, 0, fmt.Errorf("bad maps line %q", sc.Text())
		}
		if fs[2] == "00000000" {
			base = start
		}
		for a := start; a < end; a += page {
			if _, err := pm.ReadAt(entry, int64(a/page*8)); err != nil {
				return nil, 0, err
			}
			if binary.LittleEndian.Uint64(entry)&(1<<63) != 0 {
				out = append(out, a)
			}
		}
	}
	return out, base, sc.Err()
}

// pkgOf is the package path of a Go symbol name.
func pkgOf(sym string) string {
	slash := strings.LastIndex(sym, "/")
	if dot := strings.Index(sym[slash+1:], "."); dot >= 0 {
		return sym[:slash+1+dot]
	}
	return sym
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}
