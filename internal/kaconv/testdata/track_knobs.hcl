# Converted from the keepalived configuration testdata/track_knobs.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_script "chk_api" {
  script    = "/usr/local/bin/chk_api"
  interval  = 2
  init_fail = true
}

vrrp_script "chk_spare" {
  script  = "/usr/local/bin/chk_spare"
  weight  = 10
  reverse = true
}

track_file "maint" {
  file    = "/run/lb/maint"
  weight  = 0
  reverse = true
}

vrrp_instance "VI_1" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  virtual_ipaddress = ["192.0.2.50/24"]
  # not converted (testdata/track_knobs.conf:34): eth5 weight 300: track_interface takes NAME weight W [reverse] with W from -253 to 253; kept as the bare interface name, which puts the instance into FAULT while it is down
  track_interface = ["eth1", "eth2 weight -20", "eth3 weight 10 reverse", "eth4 weight 0", "eth5"]
  track_script "chk_api" {
    weight  = -30
    reverse = true
  }
  track_script "chk_spare" {
  }
  track_file "maint" {
    weight = -2
  }
}

virtual_server "192.0.2.50:80" {
  address     = "192.0.2.50:80"
  protocol    = "tcp"
  lb_algo     = "rr"
  lb_kind     = "DR"
  alpha       = true
  omega       = true
  quorum_down = "/usr/local/bin/vs_down"
  real_server "192.0.2.71:80" {
    address = "192.0.2.71:80"
    tcp_check {
      connect_timeout = 2
    }
  }
}
