# One of several active directors behind a router doing ECMP: each
# director runs this file (with its own router_id) and announces the
# VIP over BGP while the service has quorum. The router spreads flows
# over the directors; IPVS's mh scheduler with the same real servers
# everywhere sends a flow to the same real server whichever director
# gets it. The VIP itself sits on a local non-ARPing device (e.g.
# `ip addr add 192.0.2.80/32 dev lo`), since the router, not ARP,
# brings the traffic. See docs/scale-out.md.

bgp {
  asn           = 64512
  router_id     = "192.0.2.11" # this director's address; unique per director
  withdraw_wait = "2s"         # on stop: withdraw, wait, then remove IPVS
  # ipvs_sloppy (default true) turns on net.ipv4.vs.sloppy_tcp, so a
  # director takes over mid-stream the flows an ECMP rehash moves to it.

  neighbor "tor1" {
    address    = "192.0.2.1"
    remote_asn = 64500
    hold_time  = 9 # seconds; a dead director is withdrawn within this
    password   = "change-me" # TCP MD5 (RFC 2385); masked in lbhad dump
  }
}

virtual_server "web" {
  address  = "192.0.2.80:80"
  lb_algo  = "mh"
  mh_port  = true # hash the source port too: one client's flows spread
  lb_kind  = "DR" # the mode for ECMP: the real servers answer the client
  announce = true

  real_server "web1" {
    address = "198.51.100.21:80"
    tcp_check {}
  }
  real_server "web2" {
    address = "198.51.100.22:80"
    tcp_check {}
  }
}
