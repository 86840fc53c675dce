# Converted from the keepalived configuration testdata/dr_pair.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb1"
  lvs_timeouts {
    tcp    = 7200
    tcpfin = 120
    udp    = 300
  }
}

vrrp_instance "VI_1" {
  state               = "BACKUP"
  interface           = "eth0"
  virtual_router_id   = 51
  priority            = 150
  advert_int          = 1
  nopreempt           = true
  preempt_delay       = 30
  garp_master_delay   = 2
  garp_master_repeat  = 3
  garp_master_refresh = 60
  unicast_src_ip      = "198.51.100.11"
  unicast_peer        = ["198.51.100.12"]
  authentication {
    auth_type = "PASS"
    auth_pass = "lvs51"
  }
  virtual_ipaddress = ["203.0.113.10/24 dev eth0 label eth0:1", "203.0.113.11/24"]
  track_interface   = ["eth0", "eth1"]
  notify            = "/usr/local/bin/vrrp-notify"
}

virtual_server "203.0.113.10:80" {
  address     = "203.0.113.10:80"
  delay_loop  = 6
  lb_algo     = "wlc"
  lb_kind     = "DR"
  protocol    = "tcp"
  quorum      = 2
  hysteresis  = 1
  quorum_up   = "/usr/local/bin/quorum up"
  quorum_down = "/usr/local/bin/quorum down"
  real_server "203.0.113.21:80" {
    address         = "203.0.113.21:80"
    weight          = 2
    upper_threshold = 1000
    lower_threshold = 800
    notify_up       = "/usr/local/bin/rs-notify up"
    notify_down     = "/usr/local/bin/rs-notify down"
    http_get {
      url {
        path        = "/healthz"
        status_code = [200]
      }
      url {
        path   = "/ready"
        digest = "9b3a0c85a887a256d6939da88aabd8cd"
      }
      connect_timeout    = 3
      retry              = 3
      delay_before_retry = 2
    }
  }
  real_server "203.0.113.22:80" {
    address = "203.0.113.22:80"
    weight  = 5
    http_get {
      path               = "/healthz"
      status_code        = ["200-299", 301]
      connect_timeout    = 3
      retry              = 2
      delay_before_retry = 1
      virtualhost        = "www.example.com"
      warmup             = 5
    }
  }
}
