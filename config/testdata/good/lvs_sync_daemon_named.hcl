# The sync daemon uses a dedicated link but follows the named instance;
# syncid defaults to that instance's virtual_router_id.
global {
  lvs_sync_daemon {
    interface = "sync0"
    instance  = "VI_2"
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ipaddress = ["192.0.2.60"]
}
