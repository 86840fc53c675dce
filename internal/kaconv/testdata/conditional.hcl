# Converted from the keepalived configuration testdata/conditional.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_instance "VI_1" {
  interface         = "eth0"
  priority          = 150
  virtual_router_id = 51
  unicast_src_ip    = "198.51.100.11"
  unicast_peer      = ["198.51.100.12"]
  virtual_ipaddress = ["203.0.113.10/24 dev eth0"]
}

virtual_server "203.0.113.10:80" {
  address  = "203.0.113.10:80"
  protocol = "tcp"
  lb_algo  = "rr"
  lb_kind  = "DR"
  real_server "198.51.100.21:80" {
    address = "198.51.100.21:80"
    tcp_check {
      connect_timeout = 3
    }
  }
  real_server "198.51.100.22:80" {
    address = "198.51.100.22:80"
    tcp_check {
      connect_timeout = 3
    }
  }
}
