package ipvstest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Captured from ipvsadm v1.31 against the Debian 6.1 guest kernel.
const listing = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.10:80 mh (mh-fallback,mh-port)
  -> 198.51.100.11:8080           Masq    0      0          0         
  -> 198.51.100.12:80             Route   3      0          0         
  -> 198.51.100.13:80             Tunnel  5      0          0         
UDP  203.0.113.5:53 sh persistent 60 mask 255.255.255.0
TCP  [2001:db8::1]:443 rr persistent 360
FWM  7 wlc persistent 300
  -> 198.51.100.14:0              Route   1      0          0         
`

const thresholds = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  192.0.2.10:80 mh (mh-fallback,mh-port)
  -> 198.51.100.11:8080           100        10         0          0         
  -> 198.51.100.12:80             0          0          0          0         
  -> 198.51.100.13:80             0          0          0          0         
UDP  203.0.113.5:53 sh persistent 60 mask 255.255.255.0
TCP  [2001:db8::1]:443 rr persistent 360
FWM  7 wlc persistent 300
  -> 198.51.100.14:0              0          0          0          0         
`

func TestParse(t *testing.T) {
	got, err := Parse([]byte(listing), []byte(thresholds))
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{
		{Proto: "FWM", Addr: "7", Sched: "wlc", Persistent: 300, Dests: []Dest{
			{Addr: "198.51.100.14:0", Forward: "Route", Weight: 1},
		}},
		{Proto: "TCP", Addr: "192.0.2.10:80", Sched: "mh", Dests: []Dest{
			{Addr: "198.51.100.11:8080", Forward: "Masq", Weight: 0, Upper: 100, Lower: 10},
			{Addr: "198.51.100.12:80", Forward: "Route", Weight: 3},
			{Addr: "198.51.100.13:80", Forward: "Tunnel", Weight: 5},
		}},
		{Proto: "TCP", Addr: "[2001:db8::1]:443", Sched: "rr", Persistent: 360},
		{Proto: "UDP", Addr: "203.0.113.5:53", Sched: "sh", Persistent: 60},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"dest first":     "  -> 198.51.100.11:8080 Masq 1 0 0\n",
		"bad protocol":   "ICMP 192.0.2.1:0 rr\n",
		"bad forward":    "TCP 192.0.2.1:80 rr\n  -> 198.51.100.1:80 Warp 1 0 0\n",
		"bad weight":     "TCP 192.0.2.1:80 rr\n  -> 198.51.100.1:80 Masq x 0 0\n",
		"unknown field":  "TCP 192.0.2.1:80 rr sticky\n",
		"short service":  "TCP 192.0.2.1:80\n",
		"bad persistent": "TCP 192.0.2.1:80 rr persistent x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in), nil); err == nil {
				t.Error("Parse succeeded, want an error")
			}
		})
	}
	if _, err := Parse([]byte(listing), []byte("TCP 192.0.2.1:80 rr\n")); err == nil {
		t.Error("Parse of mismatched listings succeeded, want an error")
	}
}
