vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  authentication {
    auth_type = "AH"
    auth_pass = "secret"
  }
}
