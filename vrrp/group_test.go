package vrrp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroupObserve(t *testing.T) {
	type obs struct {
		member   string
		from, to State
		want     []GroupOrder
	}
	for _, tc := range []struct {
		name string
		obs  []obs
	}{
		{"one master forces the backups", []obs{
			{"ext", StateInit, StateBackup, nil},
			{"int", StateInit, StateBackup, nil},
			{"mgmt", StateInit, StateBackup, nil},
			{"ext", StateBackup, StateMaster, []GroupOrder{{"int", StateMaster}, {"mgmt", StateMaster}}},
			// mgmt has not carried out its order yet: ordering it again
			// is harmless (Force on a Master is a no-op).
			{"int", StateBackup, StateMaster, []GroupOrder{{"mgmt", StateMaster}}},
			{"mgmt", StateBackup, StateMaster, nil},
		}},
		{"one steps down, the others follow", []obs{
			{"ext", StateBackup, StateMaster, nil},
			{"int", StateBackup, StateMaster, nil},
			{"int", StateMaster, StateBackup, []GroupOrder{{"ext", StateBackup}}},
			{"ext", StateMaster, StateBackup, nil},
		}},
		{"members still in init or fault are not forced", []obs{
			{"int", StateInit, StateFault, nil},
			{"ext", StateInit, StateBackup, nil},
			{"ext", StateBackup, StateMaster, nil},
		}},
		{"leaving fault to backup orders nothing", []obs{
			{"ext", StateBackup, StateMaster, nil},
			{"int", StateFault, StateBackup, nil},
		}},
		{"unknown member ignored", []obs{
			{"int", StateInit, StateBackup, nil},
			{"other", StateBackup, StateMaster, nil},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGroup("g", []string{"ext", "int", "mgmt"})
			for i, o := range tc.obs {
				if d := cmp.Diff(o.want, g.Observe(o.member, o.from, o.to)); d != "" {
					t.Errorf("observation %d (%s %v->%v) (-want +got):\n%s", i, o.member, o.from, o.to, d)
				}
			}
		})
	}
}

func TestGroupFault(t *testing.T) {
	g := NewGroup("g", []string{"a", "b"})
	if g.Faulty() {
		t.Fatal("new group faulty")
	}
	steps := []struct {
		member string
		faulty bool
		want   bool
	}{
		{"a", true, true},
		{"b", true, true},
		{"a", false, true}, // b still faulty
		{"b", false, false},
		{"x", true, false}, // not a member
	}
	for i, s := range steps {
		if got := g.SetFault(s.member, s.faulty); got != s.want {
			t.Errorf("step %d: SetFault(%s, %v) = %v, want %v", i, s.member, s.faulty, got, s.want)
		}
	}
}
