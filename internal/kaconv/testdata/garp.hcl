# Converted from the keepalived configuration testdata/garp.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  vrrp_garp_lower_prio_delay  = 2
  vrrp_garp_lower_prio_repeat = 3
  vrrp_garp_interval          = 0.001
  vrrp_gna_interval           = 0.000001
}

vrrp_instance "VI_1" {
  interface                  = "eth0"
  virtual_router_id          = 51
  priority                   = 150
  garp_master_refresh        = 60
  garp_master_refresh_repeat = 2
  garp_lower_prio_delay      = 1
  garp_lower_prio_repeat     = 1
  virtual_ipaddress          = ["192.0.2.50/24"]
}
