# Converted from the keepalived configuration testdata/migration_dr.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb1"
  notification {
    email {
      to     = ["ops@example.com"]
      from   = "root"
      server = "192.0.2.25"
    }
  }
}

vrrp_script "chk_ipvs" {
  script   = "/usr/local/bin/check-ipvs"
  interval = 2
  timeout  = 2
  fall     = 2
}

vrrp_instance "VI_WEB" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  nopreempt         = true
  authentication {
    auth_type = "PASS"
    auth_pass = "s3cretpw"
  }
  unicast_src_ip    = "198.51.100.11"
  unicast_peer      = ["198.51.100.12"]
  virtual_ipaddress = ["203.0.113.10/24 dev eth0"]
  track_script "chk_ipvs" {
  }
  smtp_alert = true
}

virtual_server "203.0.113.10:80" {
  address             = "203.0.113.10:80"
  delay_loop          = 5
  lb_algo             = "wlc"
  lb_kind             = "DR"
  protocol            = "tcp"
  persistence_timeout = 360
  persistence_netmask = "255.255.255.0"
  real_server "198.51.100.21:80" {
    address = "198.51.100.21:80"
    weight  = 10
    http_get {
      path               = "/healthz"
      status_code        = [200]
      connect_timeout    = 3
      retry              = 2
      delay_before_retry = 1
      virtualhost        = "www.example.com"
    }
  }
  real_server "198.51.100.22:80" {
    address = "198.51.100.22:80"
    weight  = 10
    http_get {
      path               = "/healthz"
      status_code        = [200]
      connect_timeout    = 3
      retry              = 2
      delay_before_retry = 1
      virtualhost        = "www.example.com"
    }
  }
}
