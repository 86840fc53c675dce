virtual_server "web" {
  address             = "192.0.2.50:80"
  protocol            = "sctp"
  persistence_netmask = "255.0.255.0"
  quorum              = 0
  sorry_server        = "localhost:80"
  delay_loop          = 0
  real_server "rs1" {
    address = "rs1.example.com"
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0/1"
  virtual_router_id = 1
  state             = "primary"
  track_interface   = ["a very long interface name"]
}
