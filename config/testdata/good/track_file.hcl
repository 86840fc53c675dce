# Flag files: an operator or agent writes a number, the priority follows.
track_file "maint" {
  file      = "/etc/lbhad/maint"
  init_file = true
}

track_file "drain" {
  file   = "/run/lbhad/../lbhad/drain"
  weight = -2
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["192.0.2.50"]

  track_file "maint" {}
  track_file "drain" {
    weight = 0
  }
}
