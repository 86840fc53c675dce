# Converted from the keepalived configuration testdata/checks.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

track_file "maint" {
  file   = "/run/lb/maint"
  weight = 10
}

track_file "drain" {
  file    = "/run/lb/drain"
  weight  = -5
  reverse = true
}

virtual_server "192.0.2.10:80" {
  address    = "192.0.2.10:80"
  protocol   = "tcp"
  delay_loop = 5
  real_server "192.0.2.21:80" {
    address = "192.0.2.21:80"
    http_get {
      url {
        path        = "/live"
        status_code = [200]
      }
      url {
        path        = "/ready"
        virtualhost = "ready.example.com"
        body_regex  = "^OK"
      }
      connect_timeout = 3
      virtualhost     = "www.example.com"
    }
    ping_check {
      retry = 2
    }
    file_check {
      track_file = "maint"
      weight     = 0
      reverse    = true
    }
    file_check {
      track_file = "drain"
      reverse    = true
    }
  }
}

virtual_server "192.0.2.10:53/udp" {
  address  = "192.0.2.10:53"
  protocol = "udp"
  real_server "192.0.2.22:53" {
    address = "192.0.2.22:53"
    dns_check {
      type            = "AAAA"
      name            = "www.example.com"
      connect_timeout = 2
    }
    udp_check {
      payload          = "0a 1b 2c"
      require_reply    = "0a xx"
      min_reply_length = 2
      max_reply_length = 64
    }
    udp_check {
      require_reply = true
    }
  }
}

virtual_server "192.0.2.10:25" {
  address  = "192.0.2.10:25"
  protocol = "tcp"
  real_server "192.0.2.23:25" {
    address = "192.0.2.23:25"
    smtp_check {
      helo_name = "lb1.example.com"
    }
    tcp_check {
    }
  }
  real_server "192.0.2.24:25" {
    address = "192.0.2.24:25"
    smtp_check {
      helo_name  = "lb1.example.com"
      retry      = 2
      connect_ip = "192.0.2.99"
    }
    smtp_check {
      helo_name    = "lb1.example.com"
      retry        = 2
      connect_ip   = "192.0.2.98"
      connect_port = 2525
    }
    smtp_check {
      connect_timeout = 4
    }
    smtp_check {
      connect_ip = "192.0.2.97"
    }
  }
  # not converted (testdata/checks.conf:98): BFD_CHECK { ... }: BFD is out of scope: lbhad has no BFD (see Health checks in docs/config.md)
  # not converted (testdata/checks.conf:95): real_server 192.0.2.25 80 { ... }: real server left out: lbhad cannot run all of its checks (BFD_CHECK at line 98), and keepalived takes it out when any one fails; written with fewer checks it would take traffic keepalived would not send it
  real_server "192.0.2.26:80" {
    address = "192.0.2.26:80"
    # not converted (testdata/checks.conf:103): FILE_CHECK { ... }: no vrrp_track_file or track_file named "nosuch" is defined: keepalived reports it and drops this FILE_CHECK, keeping the real server with its other checks, and so does the converted config
    tcp_check {
    }
  }
  real_server "192.0.2.27:80" {
    address = "192.0.2.27:80"
    ping_check {
    }
  }
}
