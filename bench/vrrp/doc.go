// Package vrrpbench measures lbhad's VRRPv2 (RFC 3768) failover against
// keepalived 2.2.7 in the same network-namespace lab (internal/lab), with
// equal settings (advert_int 1, priorities 150 and 100), alternating the
// two daemons run by run:
//
//   - the client's longest ping gap (10 ms pings to the VIP) when the
//     master is killed with SIGKILL, and when it is stopped with SIGTERM;
//   - on the wire (capture on the bridge), the time from the new master's
//     first advert to its first gratuitous ARP, and the takeover time from
//     the old master's last advert (or priority-0 advert) to the new
//     master's first;
//   - with many instances (default 1,000: VRIDs 1-250 on each of 4 veth
//     links between the directors, one /32 VIP each), the time from start
//     to all VIPs owned by the master, and the CPU and memory of the master
//     and of the backup over a steady-state window.
//
// Run it as root from the repository root:
//
//	sudo bash bench/vrrp/run.sh [flags]
//
// which builds cmd/lbhad and cmd/vrrpbench (the thin main around Run) and
// prints markdown tables. Interrupting it (SIGINT, SIGTERM; for Run, its
// context ending) or any error removes the labs and the processes it
// started; labs left by an earlier crashed run are removed at start.
// TestSmoke (one 2-instance run) and TestSmokeFailover (one failover per
// event) run it tiny, lbhad only; TestScaleConf checks the generated
// configs without root.
package vrrpbench
