// Package ipvsguest holds tests that need a kernel with IPVS. They carry
// the build tag ipvsguest and run where IPVS exists: inside the qemu guest
// booted by integration/vm (the CI and development kernels lack
// CONFIG_IP_VS), or directly on a host that has it. TestIPVSInGuest in
// package integration builds them with
//
//	CGO_ENABLED=0 go test -c -tags 'integration ipvsguest' ./integration/ipvsguest
//
// and runs the binary in one boot, so add new kernel-facing IPVS tests
// here. Each test works in fresh network namespaces (internal/netnstest),
// whose IPVS tables start empty. The one untagged part, load.go, measures
// the client request stream of the end-to-end tests; it is pure, so its
// tests run everywhere.
package ipvsguest
