vrrp_script "chk" {
  script = "/bin/true"
  weight = -254
}

vrrp_script "chk2" {
  script = "/bin/true"
  weight = 10
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  track_script "chk2" {
    weight = 300
  }
}

virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "198.51.100.7:80"
    weight  = -1
  }
  real_server "rs2" {
    address = "198.51.100.8:80"
    weight  = 70000
  }
}
