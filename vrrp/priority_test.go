package vrrp

import "testing"

func TestEffectivePriority(t *testing.T) {
	for _, tc := range []struct {
		name      string
		base      uint8
		tracks    []Track
		wantPrio  uint8
		wantFault bool
	}{
		{"no tracking", 100, nil, 100, false},
		{"positive weight ok", 100, []Track{{10, true}}, 110, false},
		{"positive weight failing", 100, []Track{{10, false}}, 100, false},
		{"negative weight ok", 150, []Track{{-60, true}}, 150, false},
		{"negative weight failing (keepalived facts: 150-60)", 150, []Track{{-60, false}}, 90, false},
		{"mixed", 100, []Track{{20, true}, {-30, false}, {5, false}, {-7, true}}, 90, false},
		{"weight 0 failing is fault", 100, []Track{{0, false}}, 100, true},
		{"weight 0 ok", 100, []Track{{0, true}, {-10, false}}, 90, false},
		{"clamped high", 250, []Track{{50, true}}, 254, false},
		{"clamped low", 10, []Track{{-50, false}}, 1, false},
		{"exactly zero clamps to 1", 50, []Track{{-50, false}}, 1, false},
		{"owner untouched", 255, []Track{{10, false}, {-10, true}}, 255, false},
		{"owner losing weight", 255, []Track{{-10, false}}, 245, false},
		{"owner gaining weight stays below 255", 255, []Track{{10, true}}, 254, false},
		{"owner weights cancel", 255, []Track{{10, true}, {-10, false}}, 255, false},
		{"base 254 cannot reach owner", 254, []Track{{1, true}}, 254, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, f := EffectivePriority(tc.base, tc.tracks)
			if p != tc.wantPrio || f != tc.wantFault {
				t.Errorf("got (%d, %v), want (%d, %v)", p, f, tc.wantPrio, tc.wantFault)
			}
		})
	}
}
