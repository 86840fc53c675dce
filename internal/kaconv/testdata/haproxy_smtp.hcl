# Converted from the keepalived configuration testdata/haproxy_smtp.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  notification {
    email {
      to              = ["ops@example.com", "noc@example.com"]
      from            = "keepalived@lb1.example.com"
      server          = "192.0.2.25"
      connect_timeout = 30
    }
  }
  router_id              = "lb1"
  script_user            = "keepalived_script"
  enable_script_security = true
}

vrrp_script "chk_haproxy" {
  script   = "killall -0 haproxy"
  interval = 2
  weight   = -2
  fall     = 2
  rise     = 1
}

vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 101
  advert_int        = 1
  authentication {
    auth_type = "PASS"
    auth_pass = "s3cret"
  }
  virtual_ipaddress = ["192.0.2.50/24"]
  track_script "chk_haproxy" {
  }
  notify_master = "/etc/keepalived/notify.sh master"
  notify_backup = "/etc/keepalived/notify.sh backup"
  notify_fault  = "/etc/keepalived/notify.sh fault"
  smtp_alert    = true
}
