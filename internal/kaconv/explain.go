package kaconv

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Explained says what became of one keepalived statement: how it was
// written in lbhad, or why it was lost. --explain prints one per
// statement found, in file order.
type Explained struct {
	File string
	Line int
	What string // the statement as written
	How  string // "as lb_algo", "ignored: ...", or the reason it was lost
	Lost bool
}

// String formats e as "file:line: what: carried as ..." or "... LOST: why".
func (e Explained) String() string {
	if e.Lost {
		return fmt.Sprintf("%s:%d: %s: LOST: %s", e.File, e.Line, e.What, e.How)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.What, e.How)
}

// Counts are the objects a configuration holds. Convert counts them in
// the keepalived input and in what it wrote, so that a test (or an
// operator) can see that nothing went missing without a loss being named.
type Counts struct {
	Instances      int
	VirtualServers int
	RealServers    int
	Checks         int
}

// audit walks every statement after conversion. A statement that was
// neither carried nor reported lost is a gap in the converter; it is
// reported lost so that the converter fails closed even there. The
// children of a block lost as a whole are lost with it and not listed.
func (c *converter) audit(body *hclwrite.Body, nodes []*node) {
	for _, n := range nodes {
		how, carried := c.carried[n]
		lost := len(c.lost[n]) > 0
		if !carried && !lost {
			c.record(n, n.Text(), "the converter does not know this keepalived option here, so it is treated as lost")
			comment(body, fmt.Sprintf("not converted (%s): %s: the converter does not know this keepalived option here", n.Pos(), n.Text()))
			lost = true
		}
		if carried {
			c.explain = append(c.explain, Explained{File: n.File, Line: n.Line, What: masked(n), How: how})
		}
		for _, u := range c.lost[n] {
			c.explain = append(c.explain, Explained{File: n.File, Line: n.Line, What: u.What, How: u.Why, Lost: true})
		}
		if carried {
			c.audit(body, n.Children)
		} else {
			c.explainLost(n)
		}
	}
}

// countSource counts instances, services, real servers and checks in a
// keepalived configuration as keepalived would create them.
func countSource(nodes []*node) Counts {
	var n Counts
	for _, t := range nodes {
		switch t.Name {
		case "vrrp_instance":
			n.Instances++
		case "virtual_server":
			n.VirtualServers++
			for _, rs := range t.Children {
				if rs.Name != "real_server" {
					continue
				}
				n.RealServers++
				for _, ck := range rs.Children {
					if slices.Contains(checkKinds, ck.Name) {
						n.Checks += checkersOf(ck)
					}
				}
			}
		}
	}
	return n
}

// explainLost lists the statements inside a block lost as a whole:
// their own losses where recorded, else that they went with the block.
func (c *converter) explainLost(parent *node) {
	for _, n := range parent.Children {
		for _, u := range c.lost[n] {
			c.explain = append(c.explain, Explained{File: n.File, Line: n.Line, What: u.What, How: u.Why, Lost: true})
		}
		if len(c.lost[n]) == 0 {
			c.explain = append(c.explain, Explained{File: n.File, Line: n.Line, What: masked(n), How: fmt.Sprintf("lost with %s at line %d", parent.Name, parent.Line), Lost: true})
		}
		c.explainLost(n)
	}
}

// masked is n as written, with the password of auth_pass hidden:
// --explain output goes to terminals and logs.
func masked(n *node) string {
	if n.Name == "auth_pass" {
		return "auth_pass ********"
	}
	return n.Text()
}
