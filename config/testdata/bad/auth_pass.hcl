vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  authentication {
    auth_type = "PASS"
    auth_pass = "longer-than-8"
  }
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 2
  authentication {
    auth_type = "PASS"
  }
}

vrrp_instance "VI_3" {
  interface         = "eth0"
  virtual_router_id = 3
  authentication {
    auth_type = "md5"
    auth_pass = ""
  }
}
