package notify

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind says what an Event reports.
type Kind int

// Event kinds. The zero value is invalid so a forgotten Kind is caught.
const (
	InstanceState  Kind = iota + 1 // a vrrp_instance changed state
	GroupState                     // a vrrp_sync_group changed state
	RealServerUp                   // a real server passed its health check
	RealServerDown                 // a real server failed its health check
	QuorumLost                     // a virtual server fell below quorum
	QuorumRegained                 // a virtual server is back at quorum
	DaemonStart
	DaemonStop
	DaemonReload
	Maintenance // an operator action, such as a forced state
)

var kindNames = map[Kind]string{
	InstanceState:  "instance_state",
	GroupState:     "group_state",
	RealServerUp:   "real_server_up",
	RealServerDown: "real_server_down",
	QuorumLost:     "quorum_lost",
	QuorumRegained: "quorum_regained",
	DaemonStart:    "daemon_start",
	DaemonStop:     "daemon_stop",
	DaemonReload:   "daemon_reload",
	Maintenance:    "maintenance",
}

// String returns the name used in webhook payloads, such as
// "instance_state".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText encodes k by its name so payloads stay readable and stable
// if constants are ever reordered.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// States as they appear in Event.OldState and Event.NewState and in the
// third argument of a generic notify script.
const (
	StateMaster = "MASTER"
	StateBackup = "BACKUP"
	StateFault  = "FAULT"
	StateStop   = "STOP"
)

// Event is one thing worth telling someone about. Host and Time are
// filled in by the Dispatcher when left empty.
type Event struct {
	Kind     Kind
	Host     string // router_id
	Instance string // for InstanceState
	Group    string // for GroupState; may also be set on InstanceState
	// OldState and NewState are "MASTER", "BACKUP", "FAULT" or "STOP".
	OldState, NewState string
	Priority           int
	// VIPs of an InstanceState event: left nil, Dispatcher.Notify fills
	// in the instance's configured VIPs.
	VIPs          []string
	Reason        string
	VirtualServer string // config name, for real-server and quorum events
	RealServer    string // config name, for real-server events
	Time          time.Time
}

// Notifier receives events. Notify must not block: it is called from the
// VRRP and health-check loops, where a delay would delay failover.
type Notifier interface {
	Notify(Event)
}

// NotifierFunc adapts a function to Notifier; the function must not
// block.
type NotifierFunc func(Event)

// Notify calls f(e).
func (f NotifierFunc) Notify(e Event) { f(e) }

// payload is the JSON body of a webhook POST. Field names are part of the
// webhook contract; change them only with a version bump.
type payload struct {
	Event         Kind     `json:"event"`
	Host          string   `json:"host"`
	Instance      string   `json:"instance"`
	Group         string   `json:"group"`
	OldState      string   `json:"old_state"`
	NewState      string   `json:"new_state"`
	Priority      int      `json:"priority"`
	VIPs          []string `json:"vips"`
	Reason        string   `json:"reason"`
	VirtualServer string   `json:"virtual_server"`
	RealServer    string   `json:"real_server"`
	Time          string   `json:"time"`
}

// MarshalJSON encodes e as the webhook body: the fields of payload, vips
// always an array and time in RFC 3339 with nanoseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	vips := e.VIPs
	if vips == nil {
		vips = []string{}
	}
	return json.Marshal(payload{
		Event: e.Kind, Host: e.Host, Instance: e.Instance, Group: e.Group,
		OldState: e.OldState, NewState: e.NewState, Priority: e.Priority, VIPs: vips,
		Reason: e.Reason, VirtualServer: e.VirtualServer, RealServer: e.RealServer,
		Time: e.Time.Format(time.RFC3339Nano),
	})
}
