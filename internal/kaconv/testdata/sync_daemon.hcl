# Converted from the keepalived configuration testdata/sync_daemon.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb1"
  lvs_sync_daemon {
    interface   = "eth1"
    instance    = "VI_1"
    syncid      = 51
    sync_maxlen = 1472
    mcast_port  = 8848
    mcast_ttl   = 1
    mcast_group = "224.0.0.81"
  }
}

vrrp_instance "VI_1" {
  interface         = "eth1"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["192.0.2.50/24"]
}
