vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 53
  priority          = 300
}
