bgp {
  asn       = 0
  router_id = "2001:db8::1"
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
    hold_time  = 2
  }
  neighbor "r1" {
    address    = "192.0.2.253"
    remote_asn = 64500
  }
  neighbor "r3" {
    address    = "192.0.2.254"
    remote_asn = 64500
    hold_time  = 9
    keepalive  = 9
  }
  neighbor "r4" {
    address    = "192.0.2.9"
  }
}

virtual_server "mark" {
  fwmark   = 7
  announce = true
  real_server "a" {
    address = "198.51.100.10:80"
  }
}
