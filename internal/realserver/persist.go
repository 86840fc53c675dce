package realserver

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Where --persist keeps the VIPs (applied at boot by the oneshot unit
// lbhad-realserver.service, which runs "lbhad realserver apply") and the
// sysctls (applied earlier by systemd-sysctl), relative to the root.
const (
	ListFile   = "etc/lbhad/realserver.conf"
	SysctlFile = "etc/sysctl.d/90-lbhad-realserver.conf"
)

const listHeader = "# Written by lbhad realserver --persist; applied at boot by lbhad-realserver.service.\n# One VIP per line: MODE ADDRESS (mode dr or tun).\n"

// ParseList decodes the list file: one "MODE ADDRESS" per line; blank
// lines and lines starting with # are skipped. It returns an error
// naming the first bad line.
func ParseList(b []byte) ([]Want, error) {
	var out []Want
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"MODE ADDRESS\", got %q", n, line)
		}
		m, err := ParseMode(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		w := Want{VIP: a, Mode: m, On: true}
		if err := w.Check(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, w)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read list: %w", err)
	}
	return out, nil
}

// FormatList encodes list for ParseList.
func FormatList(list []Want) []byte {
	var b bytes.Buffer
	b.WriteString(listHeader)
	for _, w := range list {
		fmt.Fprintf(&b, "%s %v\n", w.Mode, w.VIP)
	}
	return b.Bytes()
}

// Update returns list with w added (On, replacing an entry for the same
// VIP) or removed (!On).
func Update(list []Want, w Want) []Want {
	out := slices.DeleteFunc(slices.Clone(list), func(x Want) bool { return x.VIP == w.VIP })
	if w.On {
		out = append(out, Want{VIP: w.VIP, Mode: w.Mode, On: true})
	}
	return out
}

// SysctlConf is the sysctl.d file for list: the "all" ARP settings
// (enough on their own, since the kernel takes the larger of "all" and
// the interface's value; the unit sets the interfaces' too) and, for an
// IPv4 TUN VIP, loose rp_filter on tunl0 ("-": ignored while tunl0 does
// not exist yet; the unit sets it again). Nil when no IPv4 VIP is left.
func SysctlConf(list []Want) []byte {
	var v4, tun4 bool
	for _, w := range list {
		if w.VIP.Is4() {
			v4 = true
			tun4 = tun4 || w.Mode == TUN
		}
	}
	if !v4 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("# Written by lbhad realserver --persist: real servers of LVS-DR/TUN must not answer ARP for their VIPs.\n")
	fmt.Fprintf(&b, "%s = %s\n%s = %s\n", SysctlKey(allDevices, "arp_ignore"), arpIgnoreOn, SysctlKey(allDevices, "arp_announce"), arpAnnounceOn)
	if tun4 {
		fmt.Fprintf(&b, "-%s = %s\n", SysctlKey(Tunnel4, "rp_filter"), rpFilterLoose)
	}
	return b.Bytes()
}

// ReadList reads the list file under root; a missing file is an empty
// list.
func ReadList(root string) ([]Want, error) {
	b, err := os.ReadFile(filepath.Join(root, ListFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ListFile, err)
	}
	list, err := ParseList(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ListFile, err)
	}
	return list, nil
}

// Persist records w in the list file under root and rewrites the
// sysctl.d file to match; with no VIP left both files are removed. It
// returns the first error of reading or writing them.
func Persist(root string, w Want) error {
	list, err := ReadList(root)
	if err != nil {
		return err
	}
	list = Update(list, w)
	if len(list) == 0 {
		return remove(filepath.Join(root, ListFile), filepath.Join(root, SysctlFile))
	}
	if err := writeAtomic(filepath.Join(root, ListFile), FormatList(list)); err != nil {
		return err
	}
	if conf := SysctlConf(list); conf != nil {
		return writeAtomic(filepath.Join(root, SysctlFile), conf)
	}
	return remove(filepath.Join(root, SysctlFile))
}

func remove(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove persisted file: %w", err)
		}
	}
	return nil
}

// writeAtomic replaces path with b through a temporary file and rename,
// so a crash leaves the old file or the new one, never half of one.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lbhad-realserver-")
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("persist %s: %w", path, err)
	}
	return nil
}
