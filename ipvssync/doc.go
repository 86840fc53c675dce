// Package ipvssync keeps the kernel's IPVS (Linux Virtual Server) table
// equal to what the configuration and the health checks want, the way
// keepalived's checker process does, but as desired state plus a pure
// diff.
//
// There is no RFC for IPVS; the behaviour copied is keepalived's
// (check/ipwrapper.c: inhibit_on_failure, sorry_server, quorum with
// hysteresis) and the output formats are ipvsadm's (-Ln, --stats, --rate,
// -Sn). Kernel behaviour relied on is in docs/notes/ipvs-kernel.md.
//
// The flow is:
//
//	Desired(config, health) -> Table     pure
//	Read(kernel)            -> Table     one dump of the kernel's table
//	ReadServices(kernel, keys) -> Table  a get and a dump per service
//	Plan(current, desired, owned, drain) -> []Op   pure, minimal
//	Apply(kernel, ops)                   one netlink write per Op
//
// Reconciler ties these together for the daemon and remembers which
// services lbhad owns, so services made by hand for other addresses are
// never touched; existing services the config names are adopted in place.
// With SetResync it is incremental: between periodic full reads a sync
// reads, plans and writes only the services whose desired entry changed,
// each read with its destination dump alone (a get only when the dump
// is empty, for a service deleted behind its back), and anything that
// makes the kernel's state doubtful (a failed call, a new set of
// services) brings back a full read.
// Guard wraps a handle so that every netlink call has a deadline (moby/ipvs
// alone can block for ever, docs/notes/moby-ipvs.md); KeepDraining is the
// one rule for how long a leaving destination stays at weight 0, and
// Backoff spaces the retries of a failed sync.
// Kernel is the small interface, in this package's types, that Read and
// Apply use; only apply_linux.go converts to and from github.com/moby/ipvs,
// and FakeKernel implements it in memory for tests on any OS. Open loads and checks
// ip_vs before making the first handle (moby/ipvs resolves the netlink
// family only once per process).
package ipvssync
