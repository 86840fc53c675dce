// Package ipvsbench measures lbhad's IPVS reconciliation (package
// ipvssync) against `ipvsadm -R` on a real kernel IPVS table: converging a
// large table from empty, one real server failing, a Sync with nothing to
// do, and the memory of the process holding the table.
//
// It needs root and a kernel with IPVS; the development machines have none,
// so cmd/ipvsbench boots a Debian kernel under qemu (integration/vm) and
// runs itself there. Each measured run gets its own network namespace, so
// every converge starts from an empty table. `sudo bash bench/ipvs/run.sh`
// does everything; results are recorded in docs/PERFORMANCE.md.
//
// Run(ctx, Config, out, log) is the benchmark; cmd/ipvsbench parses the
// flags and boots the guest. TestSmoke runs it tiny where the kernel has
// IPVS; TestBenchSmoke in integration/ipvsguest does the same in the
// guest.
package ipvsbench
