// Package netnstest runs privileged tests in fresh, unnamed network
// namespaces so they never touch the host's interfaces and leave nothing
// behind: a namespace dies with its last socket or thread reference,
// taking its veth pairs and addresses with it, even if the test process
// crashes.
//
// Tests call RequireRoot or InNewNetns. Without the needed privilege
// they skip with a hint, except under CI=true, where a skip would hide
// an untested adapter, so they fail instead.
package netnstest
