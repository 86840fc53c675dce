package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CmdMaint is "lbhad maint": it takes this director or one real server
// out of service, and back. Its Args are MaintArgs; it answers a
// MaintReply. The daemon registers it root-only.
const CmdMaint = "maint"

// Maintenance targets.
const (
	MaintDirector   = "director"
	MaintRealServer = "real-server"
)

// MaintArgs are the arguments of CmdMaint.
type MaintArgs struct {
	Target string `json:"target"` // MaintDirector or MaintRealServer
	On     bool   `json:"on"`
	// Instance limits a director maintenance to one vrrp_instance; ""
	// means all of them, including instances a later reload adds.
	Instance string `json:"instance,omitempty"`
	// VirtualServer and RealServer name a real server by the labels of
	// its virtual_server and real_server blocks.
	VirtualServer string `json:"virtual_server,omitempty"`
	RealServer    string `json:"real_server,omitempty"`
	// DrainTimeout bounds how long a real server in maintenance stays at
	// weight 0 for its connections to finish; 0 means the daemon's
	// default.
	DrainTimeout Duration `json:"drain_timeout,omitempty"`
}

// MaintReply says what CmdMaint changed.
type MaintReply struct {
	// Applied names what the command changed: instance names, or
	// "VS/RS"; empty when everything already was as asked.
	Applied []string `json:"applied"`
	Message string   `json:"message"`
}

// MaintStatus is the maintenance state in a Snapshot.
type MaintStatus struct {
	StateFile   string            `json:"state_file"`
	Directors   []MaintDirectorSt `json:"directors,omitempty"`
	RealServers []MaintRealSt     `json:"real_servers,omitempty"`
}

// MaintDirectorSt is one director maintenance: Instance is "" for all.
type MaintDirectorSt struct {
	Instance string    `json:"instance,omitempty"`
	Since    time.Time `json:"since"`
	By       string    `json:"by"`
}

// MaintRealSt is one real server in maintenance. Phase is "draining"
// while it sits at weight 0 with connections left, "out" once it has
// left the table.
type MaintRealSt struct {
	VirtualServer string    `json:"virtual_server"`
	RealServer    string    `json:"real_server"`
	Since         time.Time `json:"since"`
	By            string    `json:"by"`
	DrainTimeout  Duration  `json:"drain_timeout"`
	Phase         string    `json:"phase"`
}

// ErrBadRealServerRef is returned by ParseRealServerRef.
var ErrBadRealServerRef = errors.New("a real server is named VIRTUAL_SERVER/REAL_SERVER")

// ParseRealServerRef splits "VS/RS" into its two names.
func ParseRealServerRef(s string) (vs, rs string, err error) {
	vs, rs, ok := strings.Cut(s, "/")
	if !ok || vs == "" || rs == "" || strings.Contains(rs, "/") {
		return "", "", fmt.Errorf("%q: %w", s, ErrBadRealServerRef)
	}
	return vs, rs, nil
}

// Maint sends CmdMaint with args to the daemon at path.
func Maint(ctx context.Context, path string, args MaintArgs) (MaintReply, error) {
	var r MaintReply
	raw, err := json.Marshal(args)
	if err != nil {
		return r, fmt.Errorf("encode maint arguments: %w", err)
	}
	data, err := Do(ctx, path, Command{Cmd: CmdMaint, Args: raw})
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("decode maint reply: %w", err)
	}
	return r, nil
}

// DecodeMaintArgs reads and checks the Args of a CmdMaint request.
func DecodeMaintArgs(req Command) (MaintArgs, error) {
	var a MaintArgs
	if len(req.Args) == 0 {
		return a, errors.New("maint needs arguments")
	}
	if err := json.Unmarshal(req.Args, &a); err != nil {
		return a, fmt.Errorf("decode maint arguments: %w", err)
	}
	switch a.Target {
	case MaintDirector:
		if a.VirtualServer != "" || a.RealServer != "" {
			return a, errors.New("maint director takes no real server")
		}
	case MaintRealServer:
		if a.VirtualServer == "" || a.RealServer == "" {
			return a, ErrBadRealServerRef
		}
		if a.DrainTimeout < 0 {
			return a, errors.New("drain timeout must not be negative")
		}
	default:
		return a, fmt.Errorf("maint target %q: want %q or %q", a.Target, MaintDirector, MaintRealServer)
	}
	return a, nil
}

// formatMaint writes the Maintenance section of FormatStatus; nothing
// when nothing is in maintenance.
func formatMaint(w io.Writer, s Snapshot) {
	m := s.Maintenance
	if m == nil || len(m.Directors)+len(m.RealServers) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMaintenance (kept in %s)\n", m.StateFile)
	for _, d := range m.Directors {
		what := "all instances"
		if d.Instance != "" {
			what = "instance " + d.Instance
		}
		fmt.Fprintf(w, "  director: %s  since %s  by %s\n", what, stamp(d.Since, s.Now), d.By)
	}
	for _, r := range m.RealServers {
		fmt.Fprintf(w, "  real server %s/%s: %s  since %s  by %s  drain timeout %s\n",
			r.VirtualServer, r.RealServer, r.Phase, stamp(r.Since, s.Now), r.By, r.DrainTimeout)
	}
}
