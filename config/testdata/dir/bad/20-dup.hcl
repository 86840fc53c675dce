vrrp_instance "VI_1" {
  interface         = "eth1"
  virtual_router_id = 52
}
