// Package realserver prepares a Linux real server behind an LVS director
// in direct routing (DR) or tunnelling (TUN) mode: the director forwards
// packets still addressed to the VIP, so every real server must accept
// the VIP as a local address while never answering ARP for it (or the
// LAN would send the VIP's traffic to a real server instead of the
// director). This is the setup the LVS documentation ("LVS-DR", "the ARP
// problem") has every user script by hand:
//
//   - DR: the VIP on lo (/32 or /128), which never sends ARP;
//   - TUN: the VIP on the IP-in-IP fallback device (tunl0, or ip6tnl0 for
//     an IPv6 VIP), up, so decapsulated packets are delivered locally;
//   - IPv4: arp_ignore=1 (answer ARP only for addresses of the receiving
//     interface) and arp_announce=2 (never use the VIP as ARP source), on
//     "all" and on every interface, since the kernel takes the larger of
//     the two (Documentation/networking/ip-sysctl.rst);
//   - TUN over IPv4: rp_filter=2 (loose) on tunl0, because a decapsulated
//     packet from a client arrives on tunl0 while the route back to that
//     client leaves by the LAN interface, which strict mode rejects.
//
// The flow is that of ipvssync: Read the host's State (addresses and
// sysctls), Plan the Steps from a Want (pure, table-tested, idempotent:
// no step when the host already matches) and Apply them. The Linux
// adapter is system_linux.go; persistence across reboots (a list of VIPs
// applied by a oneshot unit, and a sysctl.d file) is persist.go.
package realserver
