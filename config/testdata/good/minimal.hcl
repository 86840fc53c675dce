# The smallest useful file: one instance and one virtual service, so that
# every default shows up in the expected Config.
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
}

virtual_server "web" {
  address = "192.0.2.50:80"

  real_server "rs1" {
    address = "198.51.100.7:80"
    http_get {}
  }
}
