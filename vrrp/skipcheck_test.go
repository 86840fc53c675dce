package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// TestRouterSkipCheckAdvAddr: the master's VIP list changes (a reload
// on it first, as in a rolling change). With skip_check_adv_addr the
// backup keeps accepting the adverts of the master it was hearing, and
// stays BACKUP; without it the backup drops them as a list mismatch and
// takes over, as keepalived does.
func TestRouterSkipCheckAdvAddr(t *testing.T) {
	for _, tc := range []struct {
		skip      bool
		wantState State
	}{
		{true, StateBackup},
		{false, StateMaster},
	} {
		t.Run(map[bool]string{true: "skip", false: "check"}[tc.skip], func(t *testing.T) {
			s, a, b := electAB(t, func(_, cb *InstanceConfig) { cb.SkipCheckAdvAddr = tc.skip })
			c := inst("vi", "eth0", 51, 150, vipA, vipB)
			c.SrcAddr = ipA
			if err := a.r.Reload(one(c)); err != nil {
				t.Fatal(err)
			}
			s.run(20 * time.Second)
			st := b.status("vi")
			if st.State != tc.wantState {
				t.Errorf("B is %v, want %v (drops for the address list: %d)", st.State, tc.wantState, st.Counters.Dropped[DropAddresses])
			}
			if tc.skip && st.Counters.Dropped[DropAddresses] != 0 {
				t.Errorf("B dropped %d adverts for the address list, want 0", st.Counters.Dropped[DropAddresses])
			}
		})
	}
}

// TestExpectSkipAddrsFrom: only the named source is spared the address
// check; any other with a different list is still dropped.
func TestExpectSkipAddrsFrom(t *testing.T) {
	e := Expect{AuthType: AuthNone, AdvertInt: 1, Addresses: []netip.Addr{vipA.Addr()}, SkipAddrsFrom: ipA}
	a := Advertisement{AdvertInt: 1, Addresses: []netip.Addr{vipA.Addr(), vipB.Addr()}}
	if r := e.Check(&a, ipA); r != DropNone {
		t.Errorf("from the spared source: %v, want none", r)
	}
	if r := e.Check(&a, ipB); r != DropAddresses {
		t.Errorf("from another source: %v, want %v", r, DropAddresses)
	}
	e.SkipAddrsFrom = netip.Addr{}
	if r := e.Check(&a, ipA); r != DropAddresses {
		t.Errorf("without skip: %v, want %v", r, DropAddresses)
	}
}
