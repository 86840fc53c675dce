package daemon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/ipvssync"
)

func TestOverlayRS(t *testing.T) {
	svc := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}
	ka := ipvssync.RealKey{Service: svc, Dest: ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.1"), Port: 80}}
	kb := ipvssync.RealKey{Service: svc, Dest: ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.2"), Port: 80}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	table := func(conns int) ipvssync.Table {
		return ipvssync.Table{svc: {Dests: map[ipvssync.DestKey]ipvssync.Destination{
			ka.Dest: {Addr: ka.Dest.Addr, Port: 80, Weight: 0, ActiveConns: conns},
			kb.Dest: {Addr: kb.Dest.Addr, Port: 80, Weight: 1, ActiveConns: 9},
		}}}
	}
	d := func(out bool) []rsDrain { return []rsDrain{{Key: ka, Since: t0, Timeout: time.Minute, Out: out}} }
	up := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{kb: {Alive: true}}}
	for _, tc := range []struct {
		name     string
		h        ipvssync.Health
		ds       []rsDrain
		t        ipvssync.Table
		now      time.Duration
		want     ipvssync.RealState
		left     []int
		draining bool
	}{
		{"connections left: quiescent", up, d(false), table(3), time.Second, ipvssync.RealState{Alive: true, Drain: true}, nil, true},
		{"keeps a dynamic weight while draining", ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{ka: {Alive: true, Weight: 7, HasWeight: true}}},
			d(false), table(3), time.Second, ipvssync.RealState{Alive: true, Weight: 7, HasWeight: true, Drain: true}, nil, true},
		{"drained: leaves", up, d(false), table(0), time.Second, ipvssync.RealState{}, []int{0}, false},
		// A connection in SYN_RECV is counted inactive: an idle-looking
		// server is held at weight 0 for the grace before it leaves.
		{"idle but just quiesced: held for the grace", up, d(false), table(0), ipvssync.QuiesceGrace / 2, ipvssync.RealState{Alive: true, Drain: true}, nil, true},
		{"not in the table, just now: leaves", up, d(false), ipvssync.Table{}, 0, ipvssync.RealState{}, []int{0}, false},
		{"not in the table: leaves", up, d(false), ipvssync.Table{}, time.Second, ipvssync.RealState{}, []int{0}, false},
		{"timeout: leaves with connections", up, d(false), table(3), time.Minute, ipvssync.RealState{}, []int{0}, false},
		{"table unreadable: drains until timeout", up, d(false), nil, time.Second, ipvssync.RealState{Alive: true, Drain: true}, nil, true},
		{"already out stays out, even when checks pass", up, d(true), table(3), time.Second, ipvssync.RealState{}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.h.Real)
			got, left, draining := overlayRS(tc.h, tc.ds, tc.t, t0.Add(tc.now))
			if d := cmp.Diff(tc.want, got.Real[ka]); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
			if st, ok := got.Real[kb]; ok && !st.Alive {
				t.Errorf("other real server touched: %+v", got.Real[kb])
			}
			if !cmp.Equal(left, tc.left) || draining != tc.draining {
				t.Errorf("left %v draining %v, want %v %v", left, draining, tc.left, tc.draining)
			}
			if len(tc.h.Real) != before {
				t.Error("input health modified")
			}
		})
	}
	if h, left, dr := overlayRS(up, nil, nil, t0); len(h.Real) != 1 || left != nil || dr {
		t.Error("no maintenance changed something")
	}
}
