# The same VRID twice on eth0 is an error; on another interface it is fine.
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 51
}

vrrp_instance "VI_3" {
  interface         = "eth1"
  virtual_router_id = 51
}
