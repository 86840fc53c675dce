package control

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFormatBGP(t *testing.T) {
	s := Snapshot{Now: tNow, BGP: &BGPStatus{
		Sessions: []BGPSession{
			{Neighbor: "r1", Address: "192.0.2.254", State: "established", Up: true},
			{Neighbor: "r2", Address: "198.51.100.254", State: "active"},
		},
		Routes: []BGPRoute{
			{Prefix: "192.0.2.80/32", Announced: true, Since: tNow.Add(-time.Minute), Reason: "quorum up", VirtualServers: []string{"web", "tls"}},
			{Prefix: "192.0.2.81/32", Since: tNow.Add(-time.Hour), Reason: "director maintenance", VirtualServers: []string{"dns"}},
		},
	}}
	var b bytes.Buffer
	formatBGP(&b, s)
	want := "\nBGP\n" +
		"  neighbor r1 192.0.2.254: established\n" +
		"  neighbor r2 198.51.100.254: ACTIVE\n" +
		"  192.0.2.80/32 announced since " + stamp(tNow.Add(-time.Minute), tNow) + " (quorum up; web, tls)\n" +
		"  192.0.2.81/32 WITHDRAWN since " + stamp(tNow.Add(-time.Hour), tNow) + " (director maintenance; dns)\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	b.Reset()
	formatBGP(&b, Snapshot{})
	if b.Len() != 0 {
		t.Errorf("no bgp block printed %q", b.String())
	}
}
