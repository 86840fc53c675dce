vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  use_ipvlan        = true
}

static_routes {
}

virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "198.51.100.7:80"
    bfd_check {}
  }
}
