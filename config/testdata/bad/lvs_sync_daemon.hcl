global {
  lvs_sync_daemon {
    interface   = "eth 0"
    instance    = "VI_9"
    syncid      = 256
    sync_maxlen = 0
    mcast_group = "192.0.2.1"
    mcast_port  = 70000
    mcast_ttl   = 0
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
}
