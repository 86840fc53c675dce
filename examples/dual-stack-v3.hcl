# A dual-stack director pair in VRRPv3 (RFC 5798) with sub-second
# adverts: a crashed master is replaced in about 0.36 s.
#
# An instance is IPv4 or IPv6, as in keepalived, so the service has one
# instance per family (each family has its own virtual_router_id space,
# so both may use 51) and a sync group moves them together. The peer
# director has the same file with lower priorities.
global {
  router_id    = "lb1"
  vrrp_version = 3
}

vrrp_instance "web4" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 0.1
  virtual_ipaddress = ["192.0.2.50/24"]
}

vrrp_instance "web6" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 0.1
  virtual_ipaddress = ["2001:db8::50/64"]
}

vrrp_sync_group "web" {
  group = ["web4", "web6"]
}
