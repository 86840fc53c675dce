bgp {
  asn           = 64512
  router_id     = "192.0.2.1"
  withdraw_wait = "500ms"
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
    hold_time  = 9
    password   = "s3cret"
  }
  neighbor "r2" {
    address    = "198.51.100.254"
    port       = 1179
    remote_asn = 64500
    keepalive  = "10s"
    multihop   = 2
  }
}

virtual_server "web" {
  address  = "192.0.2.80:80"
  lb_algo  = "mh"
  lb_kind  = "DR"
  announce = true
  real_server "a" {
    address = "198.51.100.10:80"
  }
}
