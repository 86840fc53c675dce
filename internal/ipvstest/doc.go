// Package ipvstest helps tests that drive the kernel's IPVS table (the
// Linux Virtual Server, configured over the "IPVS" generic-netlink family):
// it runs ipvsadm(8) inside a namespace made by internal/netnstest, and
// reduces both ipvsadm's listing and github.com/moby/ipvs's read-back to
// one comparable [Service] model, so a test can check the kernel state
// through two independent readers.
//
// The IPVS helpers are Linux-only and need root; [Parse] is
// pure. IPVS must be loaded before the first ipvs.New of a process (moby/ipvs
// resolves the netlink family once): call [EnsureModule] first, e.g. in
// TestMain.
package ipvstest
