package vrrp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVMACSysctlsRestore: the parent's ARP sysctls are set while it
// carries a VMAC and put back to what they were, and a value already
// right is neither written nor "restored" over an operator's choice.
func TestVMACSysctlsRestore(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "net/ipv4/conf/eth0")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"arp_ignore": "0", "arp_filter": "1", "arp_announce": "0"} {
		if err := os.WriteFile(filepath.Join(conf, k), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(k string) string {
		b, err := os.ReadFile(filepath.Join(conf, k))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	k := NewNetlinkVMACs()
	k.procSys = root
	saved := map[string]string{}
	k.saved["eth0"] = saved
	for _, s := range parentSysctls {
		if err := k.ensure(strings.Replace(s[0], "%s", "eth0", 1), s[1], saved); err != nil {
			t.Fatal(err)
		}
	}
	if read("arp_ignore") != "1" || read("arp_filter") != "1" || read("arp_announce") != "2" {
		t.Fatalf("after setup: %s %s %s", read("arp_ignore"), read("arp_filter"), read("arp_announce"))
	}
	if _, ok := saved["net/ipv4/conf/eth0/arp_filter"]; ok {
		t.Error("arp_filter was already 1 but was saved for restore")
	}
	if err := k.Restore("eth0"); err != nil {
		t.Fatal(err)
	}
	if read("arp_ignore") != "0" || read("arp_filter") != "1" || read("arp_announce") != "0" {
		t.Fatalf("after restore: %s %s %s", read("arp_ignore"), read("arp_filter"), read("arp_announce"))
	}
}
