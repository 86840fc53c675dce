# Converted from the keepalived configuration testdata/include_sync.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_sync_group "G" {
  group = ["VI_A", "VI_B"]
}

# Converted from testdata/include_sync.d/A.conf, included by testdata/include_sync.conf.

vrrp_instance "VI_A" {
  interface         = "eth0"
  virtual_router_id = 71
  priority          = 100
  virtual_ipaddress = ["192.0.2.71/24"]
}

# Converted from testdata/include_sync.d/B.conf, included by testdata/include_sync.conf.

vrrp_instance "VI_B" {
  interface         = "eth0"
  virtual_router_id = 72
  priority          = 100
  virtual_ipaddress = ["192.0.2.72/24"]
}
