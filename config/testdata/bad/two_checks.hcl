track_file "maint" {
  file = "/run/lbhad/maint"
}

virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "198.51.100.7:80"
    http_get {
      path = "/health"
      url {
        path = "/a"
      }
      url {
        path        = "b"
        status_code = 700
      }
    }
    tcp_check {
      connect_port = 0
    }
    dns_check {
      type = "PTR"
      name = "a..example.com"
    }
    udp_check {
      payload          = "0g"
      require_reply    = "0a zz"
      min_reply_length = 10
      max_reply_length = 2
    }
    udp_check {
      require_reply = 3
    }
    ping_check {
      connect_port = 80
    }
    smtp_check {
      helo_name = "two words"
    }
    file_check {
      track_file = "nosuch"
      connect_ip = "192.0.2.9"
    }
    file_check {
      track_file = "maint"
      weight     = 70000
    }
    file_check {}
  }
}
