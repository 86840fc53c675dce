// Package e2elab drives and measures a steady client request stream for the
// end-to-end tests of a director pair (integration/ipvsguest/e2e_test.go):
// one request per tick on a fresh connection, each recorded with its start
// time, outcome and the real server that answered, and a summary of any
// time window (failed requests, the longest stretch without a successful
// request). It implements no protocol; the HTTP exchange is a function the
// caller passes in, so the measuring part runs without root or a network.
package e2elab
