# A warning, not an error: the Config is still returned.
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  state             = "MASTER"
  nopreempt         = true
}
