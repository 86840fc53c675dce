# VRRPv3 and IPv6 rules: intervals per version, no authentication in
# v3, IPv6 only in v3, one family per instance, Accept_Mode.
global {
  vrrp_version = 4
}

vrrp_instance "v2_subsecond" {
  interface         = "eth0"
  virtual_router_id = 1
  advert_int        = 0.1
}

vrrp_instance "v3_too_fast" {
  interface         = "eth0"
  virtual_router_id = 2
  version           = 3
  advert_int        = "5ms"
}

vrrp_instance "v3_too_slow" {
  interface         = "eth0"
  virtual_router_id = 3
  version           = 3
  advert_int        = 41
}

vrrp_instance "v3_auth" {
  interface         = "eth0"
  virtual_router_id = 4
  version           = 3
  authentication {
    auth_type = "PASS"
    auth_pass = "secret"
  }
}

vrrp_instance "v6_as_v2" {
  interface         = "eth0"
  virtual_router_id = 5
  version           = 2
  virtual_ipaddress = ["2001:db8::5/64"]
}

vrrp_instance "mixed" {
  interface         = "eth0"
  virtual_router_id = 6
  virtual_ipaddress = ["192.0.2.6/24", "2001:db8::6/64"]
}

vrrp_instance "native_with_v4" {
  interface         = "eth0"
  virtual_router_id = 7
  native_ipv6       = true
  virtual_ipaddress = ["192.0.2.7/24"]
}

vrrp_instance "no_accept" {
  interface         = "eth0"
  virtual_router_id = 8
  no_accept         = true
  unicast_peer      = ["192.0.2.80 min_ttl 200 max_ttl 100", "192.0.2.81 min_ttl", "192.0.2.82 hops 3", "192.0.2.83 max_ttl 256"]
}

vrrp_instance "accept_false" {
  interface         = "eth0"
  virtual_router_id = 9
  version           = 5
  accept            = false
}
