# DR and TUN cannot rewrite ports; NAT and fwmark services can.
virtual_server "dr" {
  address = "192.0.2.50:80"
  lb_kind = "DR"
  real_server "rs1" {
    address = "198.51.100.7:8080"
  }
  real_server "rs2" {
    address = "198.51.100.8:80"
  }
  real_server "rs3" {
    address = "198.51.100.9:8080"
    lb_kind = "NAT"
  }
}

virtual_server "nat" {
  address = "192.0.2.51:80"
  real_server "rs1" {
    address = "198.51.100.7:8080"
    lb_kind = "tun"
  }
  real_server "rs6" {
    address = "[2001:db8::7]:80"
  }
}

virtual_server "mark" {
  fwmark  = 10
  lb_kind = "dr"
  real_server "rs1" {
    address = "198.51.100.7:8080"
  }
}

virtual_server "mark2" {
  fwmark = 11
  real_server "rs1" {
    address = "198.51.100.7"
    tcp_check {}
  }
}
