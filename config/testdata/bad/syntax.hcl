vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 
}
