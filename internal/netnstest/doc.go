// Package netnstest is the one place that makes network namespaces for
// tests and decides when a test may skip.
//
// Privileged tests run in fresh, unnamed network namespaces so they
// never touch the host's interfaces and leave nothing behind: a
// namespace dies with its last socket or thread reference, taking its
// veth pairs and addresses with it, even if the test process crashes.
//
// Tests call RequireRoot, InNewNetns or NewNetns; a test missing any
// other prerequisite (a tool, a kernel feature) calls Unavailable.
// Without what they need they skip with a hint, except under CI=true,
// where a skip would hide an untested path, so they fail instead.
package netnstest
