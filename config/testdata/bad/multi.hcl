# One file, many unrelated mistakes: all of them are reported in one run.
vrrp_script "chk" {
  script   = "/bin/true"
  interval = 1
  timeout  = 5
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 300
  priority          = 0
  advert_int        = 0
  state             = "MASTER"
  nopreempt         = true
  virtual_ipaddress = ["192.0.2.50/24", "bogus"]
  authentication {
    auth_type = "PASS"
    auth_pass = "123456789"
  }
  track_script "chk_missing" {}
  smtp_alert = true
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
  unicast_peer      = ["peer"]
}

vrrp_sync_group "G" {
  group = ["VI_1", "VI_9"]
}

virtual_server "web" {
  address = "192.0.2.50:80"
  lb_algo = "fastest"
  lb_kind = "DR"
  real_server "rs1" {
    address         = "198.51.100.7:8080"
    weight          = -5
    upper_threshold = 1
    lower_threshold = 2
    http_get {}
    tcp_check {}
  }
}

virtual_server "web" {
  fwmark   = 1
  unknowns = 1
}
