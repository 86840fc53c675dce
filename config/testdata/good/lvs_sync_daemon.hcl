# The sync daemon follows VI_1 (the first instance on eth1); VI_2 runs
# on another interface. Optional settings spelled out.
global {
  lvs_sync_daemon {
    interface   = "eth1"
    syncid      = 7
    sync_maxlen = 1400
    mcast_group = "239.255.0.7"
    mcast_port  = 9000
    mcast_ttl   = 2
  }
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ipaddress = ["192.0.2.60"]
}

vrrp_instance "VI_1" {
  interface         = "eth1"
  virtual_router_id = 51
  virtual_ipaddress = ["198.51.100.60"]
}
