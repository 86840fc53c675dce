# No instance runs on the sync interface and none is named.
global {
  lvs_sync_daemon {
    interface   = "sync0"
    mcast_group = "not-an-ip"
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
}
