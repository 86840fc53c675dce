# VRRPv3 by default, an IPv4 and an IPv6 instance on one interface with
# the same virtual_router_id (each family has its own), sub-second
# adverts written as keepalived writes them and as a duration, IPv6
# unicast peers with TTL bounds, and a VRRPv2 instance kept by choice.
global {
  vrrp_version = 3
}

vrrp_instance "web4" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = 0.1
  accept            = true
  virtual_ipaddress = ["192.0.2.50/24"]
}

vrrp_instance "web6" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = "100ms"
  native_ipv6       = true
  virtual_ipaddress = ["2001:db8::50/64", "2001:db8::51"]
  unicast_src_ip    = "2001:db8::1"
  unicast_peer      = ["2001:db8::2", "2001:db8:1::2 min_ttl 250 max_ttl 255"]
}

vrrp_instance "legacy" {
  interface         = "eth1"
  virtual_router_id = 52
  version           = 2
  advert_int        = 1
  virtual_ipaddress = ["198.51.100.50"]
  authentication {
    auth_type = "PASS"
    auth_pass = "pw12"
  }
}

vrrp_sync_group "web" {
  group = ["web4", "web6"]
}
