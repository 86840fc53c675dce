// Package lab builds a throw-away VRRP test network out of Linux network
// namespaces on the host kernel, for the integration tests and the README
// demo.
//
// The topology is the one keepalived was measured in
// (docs/notes/keepalived.md): a namespace holding bridge br0, and
// the directors d1 and d2, the client cl and a spare injector namespace
// (plus optional real servers), each joined to br0 by a veth called eth0 on
// their side, all on 192.0.2.0/24. VRRPv2 (RFC 3768) daemons under test,
// lbhad or keepalived, run inside those namespaces as ordinary processes.
//
// Every name a lab creates carries the family prefix "lbt" and a per-run
// id, and the PIDs it starts are recorded with their start times under
// /run/lbhad-lab, so CleanupStale can remove what an earlier crashed run
// left behind without touching anything else: it ends only processes that
// the lab started (same PID and same start time) or that live inside the
// lab's own namespaces, and deletes only namespaces of the family.
//
// Nothing is created in the caller's network namespace: the bridge side of
// every veth lives in the bridge namespace. Root is required.
package lab
