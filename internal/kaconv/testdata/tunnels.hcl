# Converted from the keepalived configuration testdata/tunnels.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 61
  priority          = 150
  virtual_ipaddress = ["203.0.113.10/24"]
}

virtual_server "203.0.113.10:80" {
  address                 = "203.0.113.10:80"
  delay_loop              = 6
  lb_algo                 = "wrr"
  lb_kind                 = "TUN"
  tun_type                = "gue"
  tun_port                = 6080
  tun_flags               = "csum"
  protocol                = "tcp"
  sorry_server            = "192.0.2.99:80"
  sorry_server_inhibit    = true
  sorry_server_lvs_method = "NAT"
  real_server "198.51.100.21:80" {
    address = "198.51.100.21:80"
    weight  = 2
    tcp_check {
      connect_timeout = 3
    }
  }
  real_server "198.51.100.22:80" {
    address   = "198.51.100.22:80"
    lb_kind   = "TUN"
    tun_type  = "gre"
    tun_flags = "nocsum"
    tcp_check {
      connect_timeout = 3
    }
  }
  real_server "198.51.100.23:80" {
    address  = "198.51.100.23:80"
    lb_kind  = "TUN"
    tun_type = "ipip"
    tcp_check {
      connect_timeout = 3
    }
  }
}

virtual_server "203.0.113.10:443" {
  address      = "203.0.113.10:443"
  delay_loop   = 6
  lb_algo      = "rr"
  lb_kind      = "TUN"
  protocol     = "tcp"
  sorry_server = "192.0.2.99:443"
  # not converted (testdata/tunnels.conf:47): sorry_server_lvs_method TUN type gre: lbhad's sorry server tunnels with plain ipip; a gue or gre sorry server is not carried
  real_server "198.51.100.21:443" {
    address   = "198.51.100.21:443"
    lb_kind   = "TUN"
    tun_type  = "gue"
    tun_port  = 6080
    tun_flags = "remcsum"
    tcp_check {
      connect_timeout = 3
    }
  }
  real_server "198.51.100.24:443" {
    address = "198.51.100.24:443"
    # not converted (testdata/tunnels.conf:56): lvs_method TUN type vxlan: the tunnel type must be ipip, gue or gre
    tcp_check {
      connect_timeout = 3
    }
  }
}
