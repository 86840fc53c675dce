// Package bgp decides which virtual-server addresses lbhad announces
// over BGP (RFC 4271) and speaks BGP through an embedded GoBGP.
//
// The decision is pure: Table.Update(now, Input) takes the announced
// virtual servers with their quorum, the director's maintenance and
// whether lbhad is stopping, and returns the announcements and
// withdrawals to make, each with its reason. A host route (/32, /128)
// is announced while at least one virtual server using that address
// has quorum, the director is not in maintenance and lbhad is not
// stopping. Speaker is the port to a BGP implementation: GoBGP
// (gobgp.go) in production, Fake in tests.
package bgp
