vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  unicast_src_ip    = "192.0.2.999"
  unicast_peer      = ["192.0.2.12", "peer-b", "2001:db8::2"]
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 2
  unicast_src_ip    = "2001:db8::1"
}
