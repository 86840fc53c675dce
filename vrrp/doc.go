// Package vrrp implements the Virtual Router Redundancy Protocol version 2
// (RFC 3768) and version 3 (RFC 5798, IPv4 and IPv6, centisecond
// adverts) the way keepalived 2.2.7 speaks them, so lbhad and keepalived
// can run as the two halves of one director pair.
//
// The package is cut into a pure core and thin edges:
//
//   - packet.go encodes and decodes ADVERTISEMENTs (RFC 3768 §5) with
//     sentinel errors, packet_v3.go VRRPv3's (RFC 5798 §5, checksum over
//     the IP pseudo-header); packet_check.go applies the receive checks of
//     §7.1 (TTL 255, version, type, length, checksum, VRID, auth,
//     advert interval, address list) as pure functions returning a
//     DropReason, which the driver counts.
//   - fsm.go is the state machine of §6.4 (Init, Backup, Master, plus
//     keepalived's Fault and Stop). Machine.Handle(now, event) returns
//     actions (send an advert, add or remove VIPs, announce them, report
//     a transition) and a single Deadline the driver arms: the
//     Master_Down_Timer in Backup, the Adver_Timer in Master. It owns no
//     goroutine, clock or socket, so every transition is a table test.
//   - priority.go applies keepalived's track_script weights and group.go
//     coordinates vrrp_sync_group members; both are plain bookkeeping.
//   - router*.go and instance*.go are the driver: a Router runs many
//     instances over one Transport per interface, feeds validated
//     adverts, timers, link events and script results to the machines
//     under one lock, and carries out their actions through the ports of
//     ports.go (Transport, AddrManager, Announcer, LinkWatcher), whose
//     Linux implementations live in *_linux.go. router.go builds and runs
//     the Router (loop, readers, shutdown); router_track.go takes in
//     link, script and file state; router_actions.go receives adverts
//     and carries out the machines' actions; router_status.go reports.
//     instance.go holds an instance's configuration and its checks;
//     instance_link.go, instance_fault.go and instance_reload.go follow
//     interfaces, hold faults and apply reloads.
//
// Choices where RFC 3768 leaves room or keepalived differs:
//
//   - Startup always enters Backup and waits Master_Down_Interval, even
//     for keepalived's "state MASTER" (keepalived 2.2.7 does the same);
//     only the address owner (priority 255) becomes Master at once.
//   - An advert whose address list differs from the configured VIPs is
//     dropped and counted (RFC 3768 only says to log it), as keepalived
//     does.
//   - A Master that hears a lower priority answers at once with its own
//     advert; a Master entering Fault sends a priority-0 advert so the
//     backup takes over after Skew_Time.
//   - preempt_delay counts from Startup and from leaving Fault: until it
//     has passed, a lower-priority master is honoured as if nopreempt
//     were set.
package vrrp
