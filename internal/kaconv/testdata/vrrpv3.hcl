# Converted from the keepalived configuration testdata/vrrpv3.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id    = "lb1"
  vrrp_version = 3
}

vrrp_instance "WEB4" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 0.1
  accept            = true
  virtual_ipaddress = ["192.0.2.50/24"]
}

vrrp_instance "WEB6" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 0.25
  native_ipv6       = true
  unicast_src_ip    = "2001:db8::1"
  unicast_peer      = ["2001:db8::2", "2001:db8:1::2 min_ttl 250 max_ttl 255"]
  virtual_ipaddress = ["2001:db8::50/64"]
}

vrrp_instance "LEGACY" {
  interface         = "eth1"
  version           = 2
  virtual_router_id = 52
  priority          = 100
  advert_int        = 1
  virtual_ipaddress = ["198.51.100.50"]
}

vrrp_sync_group "WEB" {
  group = ["WEB4", "WEB6"]
}
