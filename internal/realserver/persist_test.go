package realserver

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParseList(t *testing.T) {
	good := "# comment\n\ndr 192.0.2.50\n  tun   2001:db8::50  \nDR 192.0.2.51\n"
	got, err := ParseList([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []Want{{VIP: vip4, Mode: DR, On: true}, {VIP: vip6, Mode: TUN, On: true}, {VIP: vip4b, Mode: DR, On: true}}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"dr\n", "nat 192.0.2.50\n", "dr 192.0.2.500\n", "dr 127.0.0.1\n", "dr 192.0.2.50 x\n"} {
		if _, err := ParseList([]byte("# ok\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err = %v, want one naming line 2", bad, err)
		}
	}
}

func TestPersist(t *testing.T) {
	root := t.TempDir()
	steps := []struct {
		w          Want
		list       string
		sysctlFile string // "" = absent
	}{
		{Want{VIP: vip4, Mode: DR, On: true}, "dr 192.0.2.50\n",
			"net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\n"},
		{Want{VIP: vip4, Mode: DR, On: true}, "dr 192.0.2.50\n", // again: unchanged
			"net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\n"},
		{Want{VIP: vip6, Mode: TUN, On: true}, "dr 192.0.2.50\ntun 2001:db8::50\n",
			"net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\n"},
		{Want{VIP: vip4, Mode: TUN, On: true}, "tun 2001:db8::50\ntun 192.0.2.50\n",
			"net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\n-net.ipv4.conf.tunl0.rp_filter = 2\n"},
		{Want{VIP: vip4}, "tun 2001:db8::50\n", ""},
		{Want{VIP: vip6}, "", ""},
	}
	for i, s := range steps {
		if err := Persist(root, s.w); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		list, err := os.ReadFile(filepath.Join(root, ListFile))
		if s.list == "" {
			if !os.IsNotExist(err) {
				t.Errorf("step %d: list file left behind (%v)", i, err)
			}
		} else if got := strings.TrimPrefix(string(list), listHeader); got != s.list {
			t.Errorf("step %d: list\n%s\nwant\n%s", i, got, s.list)
		}
		sc, err := os.ReadFile(filepath.Join(root, SysctlFile))
		if s.sysctlFile == "" {
			if !os.IsNotExist(err) {
				t.Errorf("step %d: sysctl file present (%v)", i, err)
			}
			continue
		}
		_, body, _ := bytes.Cut(sc, []byte("\n")) // the comment line
		if string(body) != s.sysctlFile {
			t.Errorf("step %d: sysctl file\n%s\nwant\n%s", i, body, s.sysctlFile)
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add([]byte("dr 192.0.2.50\ntun 2001:db8::50\n"))
	f.Add([]byte("# c\n\nDR 10.0.0.1\n"))
	f.Add([]byte("tun ::ffff:192.0.2.1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := ParseList(b)
		if err != nil {
			return
		}
		again, err := ParseList(FormatList(list))
		if err != nil {
			t.Fatalf("formatted list does not parse: %v\n%s", err, FormatList(list))
		}
		if diff := cmp.Diff(list, again, addrCmp); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
