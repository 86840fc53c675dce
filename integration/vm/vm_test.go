package vm

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCPIOReadByCPIOTool(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio(1) not installed (integration/vm/setup.sh installs it)")
	}
	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	for _, err := range []error{
		c.File("usr/sbin/tool", 0o755, []byte("abc")), // odd length: tests padding
		c.Symlink("bin/sh", "busybox"),
		c.Dir("run"),
		c.File("/etc/passwd", 0o644, []byte("root:x:0:0::/root:/bin/sh\n")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := c.File("etc/passwd", 0o644, nil); err == nil {
		t.Error("duplicate entry accepted")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", buf.Len())
	}
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -it: %v", err)
	}
	want := []string{"usr", "usr/sbin", "usr/sbin/tool", "bin", "bin/sh", "run", "etc", "etc/passwd"}
	if d := cmp.Diff(want, strings.Fields(string(out))); d != "" {
		t.Errorf("cpio -it (-want +got):\n%s", d)
	}
}

func TestRunScriptExitCode(t *testing.T) {
	// The guest runs this script with busybox sh; any POSIX sh will do here.
	for _, tc := range []struct {
		name string
		cmds []Command
		want string
	}{
		{"none", nil, "LBHAD-VM-EXIT tag 0"},
		{"ok", []Command{{Path: "/bin/sh", Args: []string{"-c", "exit 0"}}}, "LBHAD-VM-EXIT tag 0"},
		{"first failure wins", []Command{
			{Path: "/bin/sh", Args: []string{"-c", "exit 0"}},
			{Path: "/bin/sh", Args: []string{"-c", "exit 7"}},
			{Path: "/bin/sh", Args: []string{"-c", "exit 3"}},
		}, "LBHAD-VM-EXIT tag 7"},
		{"quoting", []Command{{Path: "/bin/sh", Args: []string{"-c", `[ "$0" = "it's" ] || exit 9`, "it's"}}}, "LBHAD-VM-EXIT tag 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("/bin/sh", "-c", runScript(tc.cmds, "tag")).CombinedOutput()
			if err != nil {
				t.Fatalf("sh: %v: %s", err, out)
			}
			code, ok := findMarker(out, "tag")
			if !ok || !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q, want marker %q (parsed %d, %v)", out, tc.want, code, ok)
			}
		})
	}
}

func TestFindMarker(t *testing.T) {
	for _, tc := range []struct {
		log  string
		code int
		ok   bool
	}{
		{"boot\nLBHAD-VM-EXIT abc 0\n[ 1.0] reboot: Power down\n", 0, true},
		{"LBHAD-VM-EXIT abc 42\n", 42, true},
		{"LBHAD-VM-EXIT other 1\n", 0, false}, // another run's tag
		{"echo LBHAD-VM-EXIT abc 1\n", 0, false},
		{"panic\n", 0, false},
	} {
		code, ok := findMarker([]byte(tc.log), "abc")
		if code != tc.code || ok != tc.ok {
			t.Errorf("findMarker(%q) = %d, %v; want %d, %v", tc.log, code, ok, tc.code, tc.ok)
		}
	}
}

func TestParseModulesDep(t *testing.T) {
	md, err := parseModulesDep(strings.NewReader(
		"kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/lib/libcrc32c.ko\n" +
			"kernel/arch/x86/crypto/crc32c-intel.ko:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := md.file["crc32c_intel"]; got != "kernel/arch/x86/crypto/crc32c-intel.ko" {
		t.Errorf("crc32c_intel -> %q", got)
	}
	want := []string{"kernel/net/netfilter/ipvs/ip_vs.ko", "kernel/lib/libcrc32c.ko"}
	if d := cmp.Diff(want, md.deps[md.file["ip_vs_rr"]]); d != "" {
		t.Errorf("deps of ip_vs_rr (-want +got):\n%s", d)
	}
}

func TestSharedLibs(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary may be static or not; either way no error.
	if _, err := sharedLibs(self); err != nil {
		t.Errorf("sharedLibs(%s): %v", self, err)
	}
	libs, err := sharedLibs("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) == 0 || !strings.Contains(strings.Join(libs, " "), "ld-linux") {
		t.Errorf("sharedLibs(/bin/sh) = %v, want the dynamic loader among them", libs)
	}
}

func TestFindKernelNotSetUp(t *testing.T) {
	if _, err := FindKernel(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not set up") {
		t.Errorf("FindKernel(empty dir) = %v, want ErrNotSetUp", err)
	}
}
