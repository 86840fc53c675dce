package vrrp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLinkUp(t *testing.T) {
	tests := []struct {
		name  string
		flags uint32
		want  bool
	}{
		{"down", 0, false},
		{"admin up, no carrier (veth peer down)", iffUp, false},
		{"up and running", iffUp | iffRunning, true},
		{"up, running, lower up, multicast", iffUp | iffRunning | 0x10000 | 0x1000, true},
		{"running but admin down cannot happen, still down", iffRunning, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := linkUp(tt.flags); got != tt.want {
				t.Errorf("linkUp(%#x) = %v, want %v", tt.flags, got, tt.want)
			}
		})
	}
}

func TestLinkTracker(t *testing.T) {
	const up = iffUp | iffRunning
	type step struct {
		obs  linkObs
		want []LinkEvent
	}
	tests := []struct {
		name    string
		names   []string
		initial map[string]linkObs
		wantIni []LinkEvent
		steps   []step
	}{
		{
			name:    "initial state in order, missing is down, duplicates once",
			names:   []string{"eth1", "eth0", "eth1", "gone0"},
			initial: map[string]linkObs{"eth0": {Name: "eth0", Index: 2, Flags: up}, "eth1": {Name: "eth1", Index: 3, Flags: iffUp}},
			wantIni: []LinkEvent{{"eth1", false}, {"eth0", true}, {"gone0", false}},
		},
		{
			name:    "changes only",
			names:   []string{"eth0"},
			initial: map[string]linkObs{"eth0": {Name: "eth0", Index: 2, Flags: up}},
			wantIni: []LinkEvent{{"eth0", true}},
			steps: []step{
				{linkObs{Name: "eth0", Index: 2, Flags: up}, nil},
				{linkObs{Name: "eth0", Index: 2, Flags: iffUp}, []LinkEvent{{"eth0", false}}},
				{linkObs{Name: "eth0", Index: 2, Flags: 0}, nil},
				{linkObs{Name: "eth0", Index: 2, Flags: up}, []LinkEvent{{"eth0", true}}},
				{linkObs{Name: "other", Index: 9, Flags: 0}, nil},
				{linkObs{Name: "eth0", Index: 2, Gone: true}, []LinkEvent{{"eth0", false}}},
			},
		},
		{
			name:    "appears later, with a new index",
			names:   []string{"bond0"},
			wantIni: []LinkEvent{{"bond0", false}},
			steps: []step{
				{linkObs{Name: "bond0", Index: 7, Flags: iffUp}, nil},
				{linkObs{Name: "bond0", Index: 7, Flags: up}, []LinkEvent{{"bond0", true}}},
				{linkObs{Name: "bond0", Index: 7, Gone: true}, []LinkEvent{{"bond0", false}}},
				{linkObs{Name: "bond0", Index: 8, Flags: up}, []LinkEvent{{"bond0", true}}},
			},
		},
		{
			name:    "renamed away and another takes the name",
			names:   []string{"eth0"},
			initial: map[string]linkObs{"eth0": {Name: "eth0", Index: 2, Flags: up}},
			wantIni: []LinkEvent{{"eth0", true}},
			steps: []step{
				{linkObs{Name: "old0", Index: 2, Flags: up}, []LinkEvent{{"eth0", false}}},
				{linkObs{Name: "eth0", Index: 5, Flags: up}, []LinkEvent{{"eth0", true}}},
				// The renamed link changing must not affect eth0.
				{linkObs{Name: "old0", Index: 2, Flags: 0}, nil},
				{linkObs{Name: "old0", Index: 2, Gone: true}, nil},
			},
		},
		{
			name:    "lookup miss during resync",
			names:   []string{"eth0"},
			initial: map[string]linkObs{"eth0": {Name: "eth0", Index: 2, Flags: up}},
			wantIni: []LinkEvent{{"eth0", true}},
			steps: []step{
				{linkObs{Name: "eth0", Gone: true}, []LinkEvent{{"eth0", false}}},
				{linkObs{Name: "eth0", Index: 2, Gone: true}, nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newLinkTracker(tt.names)
			if diff := cmp.Diff(tt.wantIni, tr.initial(tt.initial)); diff != "" {
				t.Errorf("initial (-want +got):\n%s", diff)
			}
			for i, s := range tt.steps {
				if diff := cmp.Diff(s.want, tr.observe(s.obs)); diff != "" {
					t.Errorf("step %d %+v (-want +got):\n%s", i, s.obs, diff)
				}
			}
		})
	}
}
