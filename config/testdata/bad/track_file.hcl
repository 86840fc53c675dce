track_file "maint" {
  file = "etc/lbhad/maint"
}

track_file "maint" {
  file = "/etc/lbhad/maint2"
}

track_file "big" {
  file      = "/etc/lbhad/big"
  weight    = 255
  init_file = "yes please"
}

track_file "nofile" {}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  track_file "maint" {
    weight = -255
  }
  track_file "maint" {}
  track_file "missing" {}
}
