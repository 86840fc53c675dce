vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  virtual_ipaddress = [
    "192.0.2.300",
    "2001:db8::1",
    "192.0.2.50/24",
    "192.0.2.50/32",
    "192.0.2.51 scope link",
    "192.0.2.52 dev eth1 label eth0:1",
    "192.0.2.53 dev",
    "192.0.2.54/40",
  ]
}

vrrp_instance "VI_2" {
  interface         = "eth1"
  virtual_router_id = 2
  virtual_ipaddress = ["192.0.2.50/24"]
}
