# Several checkers on one real server, several urls on one http_get and
# every check kind keepalived has beyond HTTP, TCP and MISC.
track_file "maint" {
  file   = "/run/lbhad/maint"
  weight = -10
}

virtual_server "dns" {
  address    = "192.0.2.53:53"
  protocol   = "udp"
  delay_loop = 6

  real_server "ns1" {
    address = "198.51.100.53:53"
    dns_check {
      type   = "a"
      name   = "www.example.com"
      expect = "192.0.2.80"
    }
    udp_check {
      payload          = "0a 1b2c"
      require_reply    = "0a xX"
      min_reply_length = 2
      max_reply_length = 512
    }
    udp_check {
      require_reply = true
    }
    ping_check {
      connect_ip = "198.51.100.54"
      fall       = 3
    }
    file_check {
      track_file = "maint"
    }
    file_check {
      track_file = "maint"
      weight     = 0
      reverse    = true
      delay_loop = 5
    }
  }
}

virtual_server "mail" {
  address = "192.0.2.25:25"

  real_server "mx1" {
    address = "198.51.100.25:25"
    smtp_check {}
    smtp_check {
      helo_name = "lb1.example.com"
      ehlo      = true
    }
    http_get {
      connect_port = 8080
      virtualhost  = "status.example.com"
      url {
        path        = "/live"
      }
      url {
        path        = "/ready"
        virtualhost = "ready.example.com"
        status_code = [200, "300-302"]
        body_regex  = "ok"
      }
    }
  }
}
