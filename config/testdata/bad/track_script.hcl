vrrp_script "chk_haproxy" {
  script = "/usr/bin/killall -0 haproxy"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  track_script "chk_nginx" {}
  track_script "chk_haproxy" {}
  track_script "chk_haproxy" {}
}
