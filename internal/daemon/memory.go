package daemon

import "runtime/debug"

// releaseMemory gives the kernel back what a config load and the
// changes that follow it leave behind. Run calls it once the daemon has
// been quiet for settleQuiet after its start, a reload or a state
// change: at 1,000 VRRP instances the first elections (VIP adds,
// announcements, notifications) come seconds after the start and
// left 1 MB of free heap pages and 6 MB of code and tables mapped that
// the running daemon does not touch. docs/PERFORMANCE.md ("VRRP
// memory") has the numbers.
//
// The heap: parsing and building a config makes garbage in proportion
// to its size (the HCL syntax tree, the cty values, gohcl's reflection),
// about 45 MB allocated for 1,000 VRRP instances against 5 MB the
// running daemon keeps. Without a forced collection the pages of that
// peak stay resident until the background scavenger returns them,
// slowly; one collection per start or reload costs a few milliseconds.
//
// The binary: package inits, config parsing and the components' start
// run code and read tables that the running daemon never touches again,
// and the kernel maps them, with their neighbours, into the process
// (13.5 MB of a 28 MB binary with an empty config). unmapInitText drops
// those mappings; the pages the daemon still runs come back by minor
// faults, and the rest stays in the page cache, not in lbhad's RSS.
func releaseMemory() {
	debug.FreeOSMemory()
	unmapInitText()
}
