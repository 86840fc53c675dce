//go:build !nogobgp

package bgp

import (
	"testing"

	api "github.com/osrg/gobgp/v4/api"
)

// Every GoBGP session state maps by name to RFC 4271's (8.2.2).
func TestStateName(t *testing.T) {
	want := map[api.PeerState_SessionState]string{
		api.PeerState_SESSION_STATE_UNSPECIFIED: "unspecified",
		api.PeerState_SESSION_STATE_IDLE:        "idle",
		api.PeerState_SESSION_STATE_CONNECT:     "connect",
		api.PeerState_SESSION_STATE_ACTIVE:      "active",
		api.PeerState_SESSION_STATE_OPENSENT:    "opensent",
		api.PeerState_SESSION_STATE_OPENCONFIRM: "openconfirm",
		api.PeerState_SESSION_STATE_ESTABLISHED: "established",
	}
	if len(want) != len(api.PeerState_SessionState_name) {
		t.Errorf("GoBGP has %d session states, the table %d", len(api.PeerState_SessionState_name), len(want))
	}
	for s, n := range want {
		if got := stateName(s); got != n {
			t.Errorf("stateName(%v) = %q, want %q", s, got, n)
		}
	}
}
