package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventJSON(t *testing.T) {
	at := time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC)
	tests := []struct {
		name string
		e    Event
		want map[string]any
	}{
		{
			name: "instance",
			e: Event{Kind: InstanceState, Host: "lb1", Instance: "VI_1", Group: "G", OldState: "BACKUP", NewState: "MASTER",
				Priority: 150, VIPs: []string{"192.0.2.50/24"}, Reason: "master down timer", Time: at},
			want: map[string]any{"event": "instance_state", "host": "lb1", "instance": "VI_1", "group": "G",
				"old_state": "BACKUP", "new_state": "MASTER", "priority": 150.0, "vips": []any{"192.0.2.50/24"},
				"reason": "master down timer", "virtual_server": "", "real_server": "", "time": "2026-11-22T01:02:03.456789Z"},
		},
		{
			name: "real server, nil vips become []",
			e:    Event{Kind: RealServerDown, Host: "lb1", VirtualServer: "web", RealServer: "w1", Reason: "connection refused", Time: at},
			want: map[string]any{"event": "real_server_down", "host": "lb1", "instance": "", "group": "",
				"old_state": "", "new_state": "", "priority": 0.0, "vips": []any{},
				"reason": "connection refused", "virtual_server": "web", "real_server": "w1", "time": "2026-11-22T01:02:03.456789Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.e)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := InstanceState; k <= Maintenance; k++ {
		s := k.String()
		if seen[s] || s == "" || s[0] == 'k' {
			t.Errorf("kind %d has name %q (duplicate or unnamed)", int(k), s)
		}
		seen[s] = true
	}
	if got := Kind(0).String(); got != "kind(0)" {
		t.Errorf("Kind(0) = %q", got)
	}
}
