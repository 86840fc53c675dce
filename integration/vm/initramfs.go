package vm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultModules are loaded by the guest's /init, in this order. The order
// is the one `modprobe --show-depends` gives; crc32c comes first because it
// is only a softdep of libcrc32c, which busybox modprobe ignores. Modules
// missing from the kernel are an error at build time; modules that are
// built in are skipped.
var DefaultModules = []string{
	"crc32c_intel", "crc32c_generic", "libcrc32c",
	"nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack",
	"ip_vs",
	"ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_lblc", "ip_vs_lblcr",
	"ip_vs_dh", "ip_vs_sh", "ip_vs_sed", "ip_vs_nq", "ip_vs_mh", "ip_vs_fo", "ip_vs_ovf",
	"veth",
	"llc", "stp", "bridge",
	"dummy",
	"macvlan",
}

// DefaultExtraModules are put into the initramfs (with their dependencies)
// but not loaded at boot; the kernel autoloads them through /sbin/modprobe
// when a test needs them. ipip gives the real servers of the TUN traffic
// test their tunl0 (integration/ipvsguest/knobs_test.go); sch_tbf is the
// qdisc that caps each director of the ECMP capped rates
// (integration/ipvsguest/ecmp_capped_test.go; 6.1 autoloads it as sch_tbf).
var DefaultExtraModules = []string{"ip_vs_ftp", "ip_vs_pe_sip", "ipip", "sch_tbf"}

// DefaultTools are host binaries copied into the guest at the same path,
// with the shared libraries ldd(1) lists for them. iproute2's ip is needed
// because busybox's ip applet has no netns support. keepalived (2.2.7,
// Debian's) is the anchor of the end-to-end tests (integration/ipvsguest
// e2e_keepalived_test.go); it links about 40 libraries (netlink, SNMP,
// OpenSSL, even Perl), which all come along.
// BIRD 2 (bird, birdc; the bird2 package) is the router of the ECMP
// tests (integration/ipvsguest ecmp_test.go), where iproute2's tc caps
// each director's forwarding rate.
var DefaultTools = []string{"/usr/sbin/ip", "/usr/sbin/tc", "/usr/sbin/ipvsadm", "/usr/sbin/keepalived", "/usr/sbin/bird", "/usr/sbin/birdc"}

// InitramfsOptions says what BuildInitramfs puts into the image. Zero
// fields take the defaults above.
type InitramfsOptions struct {
	Kernel       Kernel
	Modules      []string // loaded at boot, in order; nil = DefaultModules
	ExtraModules []string // shipped, not loaded; nil = DefaultExtraModules
	Tools        []string // nil = DefaultTools
	Busybox      string   // static busybox; "" = /bin/busybox
}

// BuildInitramfs writes a gzip'd newc cpio to w holding busybox with its
// applet links, /sbin/modprobe, the kernel modules (with a filtered
// modules.dep so busybox modprobe and kernel autoload work), the tools with
// their shared libraries and the /init script. The per-run part (what to
// execute) comes from [Run] as a second archive.
//
// It returns an error wrapping [ErrNotSetUp] when busybox, a tool or ldd
// is missing, and an error naming the module when a module is not found.
func BuildInitramfs(w io.Writer, o InitramfsOptions) error {
	if o.Modules == nil {
		o.Modules = DefaultModules
	}
	if o.ExtraModules == nil {
		o.ExtraModules = DefaultExtraModules
	}
	if o.Tools == nil {
		o.Tools = DefaultTools
	}
	if o.Busybox == "" {
		o.Busybox = "/bin/busybox"
	}
	if o.Kernel.ModulesDir == "" {
		return fmt.Errorf("build initramfs: no kernel: %w", ErrNotSetUp)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	c := newCPIOWriter(zw)
	if err := writeBase(c, o); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	return nil
}

func writeBase(c *cpioWriter, o InitramfsOptions) error {
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "root", "etc", "bin", "sbin", "usr/bin", "usr/sbin", "lbhad"} {
		if err := c.Dir(d); err != nil {
			return err
		}
	}
	if err := c.Symlink("var/run", "../run"); err != nil {
		return err
	}
	if err := c.File("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n")); err != nil {
		return err
	}
	if err := c.File("etc/group", 0o644, []byte("root:x:0:\n")); err != nil {
		return err
	}

	// Tools and their libraries first, so busybox links never shadow them.
	libs := map[string]bool{}
	for _, t := range o.Tools {
		body, err := os.ReadFile(t)
		if err != nil {
			return fmt.Errorf("tool %s: %w", t, errors.Join(ErrNotSetUp, err))
		}
		if err := c.File(t, 0o755, body); err != nil {
			return err
		}
		deps, err := sharedLibs(t)
		if err != nil {
			return err
		}
		for _, l := range deps {
			libs[l] = true
		}
	}
	for _, l := range sortedKeys(libs) {
		body, err := os.ReadFile(l) // follows symlinks: the guest gets a plain file
		if err != nil {
			return fmt.Errorf("library %s: %w", l, err)
		}
		if err := c.File(l, 0o755, body); err != nil {
			return err
		}
	}

	bb, err := os.ReadFile(o.Busybox)
	if err != nil {
		return fmt.Errorf("busybox: %w", errors.Join(ErrNotSetUp, err))
	}
	if err := c.File("bin/busybox", 0o755, bb); err != nil {
		return err
	}
	applets, err := exec.Command(o.Busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, a := range strings.Fields(string(applets)) {
		if a == "busybox" || c.names["usr/sbin/"+a] || c.names["bin/"+a] {
			continue
		}
		if err := c.Symlink("bin/"+a, "busybox"); err != nil {
			return err
		}
	}
	// The kernel runs /sbin/modprobe to autoload schedulers and the like.
	if err := c.Symlink("sbin/modprobe", "/bin/busybox"); err != nil {
		return err
	}

	load, err := writeModules(c, o)
	if err != nil {
		return err
	}
	return c.File("init", 0o755, []byte(initScript(load)))
}

var lddLine = regexp.MustCompile(`(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)`)

// sharedLibs lists the absolute library paths ldd(1) reports for bin,
// including the dynamic loader. A static binary has none.
func sharedLibs(bin string) ([]string, error) {
	out, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %w: %s", bin, err, bytes.TrimSpace(out))
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "not found") {
			return nil, fmt.Errorf("ldd %s: %s", bin, strings.TrimSpace(line))
		}
		if m := lddLine.FindStringSubmatch(line); m != nil {
			libs = append(libs, m[1])
		}
	}
	return libs, nil
}

// modName normalises a module file or name the way the kernel does.
func modName(s string) string {
	s = filepath.Base(s)
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz", ".ko"} {
		s = strings.TrimSuffix(s, ext)
	}
	return strings.ReplaceAll(s, "-", "_")
}

// modDep is modules.dep parsed: module name -> its file and dependency files.
type modDep struct {
	file map[string]string   // name -> relative path
	deps map[string][]string // relative path -> relative paths
}

func parseModulesDep(r io.Reader) (modDep, error) {
	md := modDep{file: map[string]string{}, deps: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		mod, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		md.file[modName(mod)] = mod
		md.deps[mod] = strings.Fields(deps)
	}
	return md, sc.Err()
}

func builtinModules(dir string) map[string]bool {
	b := map[string]bool{}
	data, err := os.ReadFile(filepath.Join(dir, "modules.builtin"))
	if err != nil {
		return b
	}
	for _, l := range strings.Fields(string(data)) {
		b[modName(l)] = true
	}
	return b
}

// writeModules copies the requested modules and their dependency closure,
// writes a modules.dep (and alias/softdep files) restricted to them, and
// returns the names /init loads, in order.
func writeModules(c *cpioWriter, o InitramfsOptions) ([]string, error) {
	dir := o.Kernel.ModulesDir
	f, err := os.Open(filepath.Join(dir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("modules: %w", errors.Join(ErrNotSetUp, err))
	}
	md, err := parseModulesDep(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("parse modules.dep: %w", err)
	}
	builtin := builtinModules(dir)

	include := map[string]bool{}
	var load []string
	add := func(name string, boot bool) error {
		n := modName(name)
		file, ok := md.file[n]
		if !ok {
			if builtin[n] {
				return nil
			}
			return fmt.Errorf("module %s not in %s/modules.dep", name, dir)
		}
		include[file] = true
		for _, d := range md.deps[file] {
			include[d] = true
		}
		if boot {
			load = append(load, n)
		}
		return nil
	}
	for _, m := range o.Modules {
		if err := add(m, true); err != nil {
			return nil, err
		}
	}
	for _, m := range o.ExtraModules {
		if err := add(m, false); err != nil {
			return nil, err
		}
	}

	base := "lib/modules/" + o.Kernel.Version + "/"
	var dep bytes.Buffer
	names := map[string]bool{}
	for _, file := range sortedKeys(include) {
		body, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", file, err)
		}
		if err := c.File(base+file, 0o644, body); err != nil {
			return nil, err
		}
		fmt.Fprintf(&dep, "%s:", file)
		for _, d := range md.deps[file] {
			fmt.Fprintf(&dep, " %s", d)
		}
		dep.WriteByte('\n')
		names[modName(file)] = true
	}
	if err := c.File(base+"modules.dep", 0o644, dep.Bytes()); err != nil {
		return nil, err
	}
	// Aliases let the kernel autoload by alias (rtnl-link-veth, ...).
	if data, err := os.ReadFile(filepath.Join(dir, "modules.alias")); err == nil {
		var out bytes.Buffer
		for _, l := range strings.Split(string(data), "\n") {
			fs := strings.Fields(l)
			if len(fs) == 3 && fs[0] == "alias" && names[modName(fs[2])] {
				out.WriteString(l + "\n")
			}
		}
		if err := c.File(base+"modules.alias", 0o644, out.Bytes()); err != nil {
			return nil, err
		}
	}
	for _, extra := range []string{"modules.builtin", "modules.softdep", "modules.order"} {
		if data, err := os.ReadFile(filepath.Join(dir, extra)); err == nil {
			if err := c.File(base+extra, 0o644, data); err != nil {
				return nil, err
			}
		}
	}
	return load, nil
}

// initScript is the guest's PID 1. It must never exit (that panics the
// kernel); every path ends in poweroff -f. The per-run /lbhad/run.sh comes
// from the second archive [Run] appends.
func initScript(modules []string) string {
	return `#!/bin/busybox sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /run
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox mkdir -p /dev/pts /dev/shm /run/netns
/bin/busybox mount -t devpts devpts /dev/pts
/bin/busybox hostname lbhad-vm
/usr/sbin/ip link set lo up
for m in ` + strings.Join(modules, " ") + `; do
	/bin/busybox modprobe "$m" || echo "lbhad-vm: modprobe $m failed"
done
if [ -f /lbhad/run.sh ]; then
	/bin/busybox sh /lbhad/run.sh
else
	echo "lbhad-vm: no /lbhad/run.sh in the initramfs"
	echo "LBHAD-VM-EXIT none 125"
fi
/bin/busybox sync
/bin/busybox poweroff -f
`
}
