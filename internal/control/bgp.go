package control

import (
	"fmt"
	"io"
	"strings"
)

// formatBGP renders the BGP section of lbhad status: each neighbor's
// session, then each route with its last change and why.
func formatBGP(w io.Writer, s Snapshot) {
	b := s.BGP
	if b == nil {
		return
	}
	fmt.Fprintln(w, "\nBGP")
	if b.Error != "" {
		fmt.Fprintf(w, "  sessions unreadable: %s\n", b.Error)
	}
	for _, n := range b.Sessions {
		state := n.State
		if !n.Up {
			state = strings.ToUpper(state)
		}
		fmt.Fprintf(w, "  neighbor %s %s: %s\n", n.Neighbor, n.Address, state)
	}
	if len(b.Routes) == 0 {
		fmt.Fprintln(w, "  (no route to announce)")
	}
	for _, r := range b.Routes {
		what := "announced"
		if !r.Announced {
			what = "WITHDRAWN"
		}
		fmt.Fprintf(w, "  %s %s since %s (%s; %s)\n", r.Prefix, what, stamp(r.Since, s.Now), r.Reason, strings.Join(r.VirtualServers, ", "))
	}
}
