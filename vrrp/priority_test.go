package vrrp

import (
	"math"
	"testing"
)

func TestEffectivePriority(t *testing.T) {
	for _, tc := range []struct {
		name      string
		base      uint8
		tracks    []Track
		wantPrio  uint8
		wantFault bool
	}{
		{"no tracking", 100, nil, 100, false},
		{"positive weight ok", 100, []Track{{Weight: 10, OK: true}}, 110, false},
		{"positive weight failing", 100, []Track{{Weight: 10, OK: false}}, 100, false},
		{"negative weight ok", 150, []Track{{Weight: -60, OK: true}}, 150, false},
		{"negative weight failing (keepalived facts: 150-60)", 150, []Track{{Weight: -60, OK: false}}, 90, false},
		{"mixed", 100, []Track{{Weight: 20, OK: true}, {Weight: -30, OK: false}, {Weight: 5, OK: false}, {Weight: -7, OK: true}}, 90, false},
		{"weight 0 failing is fault", 100, []Track{{Weight: 0, OK: false}}, 100, true},
		{"weight 0 ok", 100, []Track{{Weight: 0, OK: true}, {Weight: -10, OK: false}}, 90, false},
		{"clamped high", 250, []Track{{Weight: 50, OK: true}}, 254, false},
		{"clamped low", 10, []Track{{Weight: -50, OK: false}}, 1, false},
		{"exactly zero clamps to 1", 50, []Track{{Weight: -50, OK: false}}, 1, false},
		{"owner untouched", 255, []Track{{Weight: 10, OK: false}, {Weight: -10, OK: true}}, 255, false},
		{"owner losing weight", 255, []Track{{Weight: -10, OK: false}}, 245, false},
		{"owner gaining weight stays below 255", 255, []Track{{Weight: 10, OK: true}}, 254, false},
		{"owner weights cancel", 255, []Track{{Weight: 10, OK: true}, {Weight: -10, OK: false}}, 255, false},
		{"base 254 cannot reach owner", 254, []Track{{Weight: 1, OK: true}}, 254, false},
		// keepalived's reverse (track_interface "weight W reverse"): the
		// weight applies in the same state but moves the other way.
		{"reverse positive, up: lowered", 100, []Track{{Weight: 10, OK: true, Reverse: true}}, 90, false},
		{"reverse positive, down: untouched", 100, []Track{{Weight: 10, OK: false, Reverse: true}}, 100, false},
		{"reverse negative, down: raised", 100, []Track{{Weight: -20, OK: false, Reverse: true}}, 120, false},
		{"reverse negative, up: untouched", 100, []Track{{Weight: -20, OK: true, Reverse: true}}, 100, false},
		{"reverse weight 0, up: fault", 100, []Track{{Weight: 0, OK: true, Reverse: true}}, 100, true},
		{"reverse weight 0, down: fine", 100, []Track{{Weight: 0, OK: false, Reverse: true}}, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, f := EffectivePriority(tc.base, tc.tracks)
			if p != tc.wantPrio || f != tc.wantFault {
				t.Errorf("got (%d, %v), want (%d, %v)", p, f, tc.wantPrio, tc.wantFault)
			}
		})
	}
}

func TestEffectivePriorityFiles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		base      uint8
		tracks    []Track
		files     []FileTrack
		wantPrio  uint8
		wantFault bool
	}{
		{"value 0", 150, nil, []FileTrack{{Weight: 1, Value: 0}}, 150, false},
		{"lowered by -100", 150, nil, []FileTrack{{Weight: 1, Value: -100}}, 50, false},
		{"raised", 100, nil, []FileTrack{{Weight: 1, Value: 20}}, 120, false},
		{"weight multiplies", 150, nil, []FileTrack{{Weight: -2, Value: 30}}, 90, false},
		{"-253 only lowers (clamped to 1)", 150, nil, []FileTrack{{Weight: 1, Value: -253}}, 1, false},
		{"-254 is fault", 150, nil, []FileTrack{{Weight: 1, Value: -254}}, 150, true},
		{"product below -254 is fault", 150, nil, []FileTrack{{Weight: 10, Value: -26}}, 150, true},
		{"negative weight, positive value to fault", 150, nil, []FileTrack{{Weight: -254, Value: 1}}, 150, true},
		{"huge value capped at 253", 1, nil, []FileTrack{{Weight: 254, Value: math.MaxInt}}, 254, false},
		{"huge negative value is fault, no overflow", 100, nil, []FileTrack{{Weight: 254, Value: math.MinInt}}, 100, true},
		{"weight 0 and 0 is fine", 100, nil, []FileTrack{{Weight: 0, Value: 0}}, 100, false},
		{"weight 0 and non-zero is fault", 100, nil, []FileTrack{{Weight: 0, Value: 7}}, 100, true},
		{"weight 0 and negative is fault", 100, nil, []FileTrack{{Weight: 0, Value: -1}}, 100, true},
		{"files add with scripts", 100, []Track{{Weight: -30, OK: false}}, []FileTrack{{Weight: 1, Value: -10}, {Weight: 2, Value: 5}}, 70, false},
		{"two files, one faulting", 100, nil, []FileTrack{{Weight: 1, Value: -10}, {Weight: 1, Value: -300}}, 90, true},
		{"owner untouched by 0", 255, nil, []FileTrack{{Weight: 1, Value: 0}}, 255, false},
		{"owner lowered", 255, nil, []FileTrack{{Weight: 1, Value: -5}}, 250, false},
		{"owner fault", 255, nil, []FileTrack{{Weight: 1, Value: -254}}, 255, true},
		// keepalived's reverse: value × weight × -1, and weight 0
		// faults while the file holds 0.
		{"reverse raises on a negative value", 100, nil, []FileTrack{{Weight: 1, Value: -20, Reverse: true}}, 120, false},
		{"reverse lowers on a positive value", 100, nil, []FileTrack{{Weight: 2, Value: 30, Reverse: true}}, 40, false},
		{"reverse to fault", 100, nil, []FileTrack{{Weight: 254, Value: 1, Reverse: true}}, 100, true},
		{"reverse weight 0 and 0 is fault", 100, nil, []FileTrack{{Weight: 0, Value: 0, Reverse: true}}, 100, true},
		{"reverse weight 0 and non-zero is fine", 100, nil, []FileTrack{{Weight: 0, Value: 3, Reverse: true}}, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, f := EffectivePriority(tc.base, tc.tracks, tc.files...)
			if p != tc.wantPrio || f != tc.wantFault {
				t.Errorf("got (%d, %v), want (%d, %v)", p, f, tc.wantPrio, tc.wantFault)
			}
		})
	}
}
