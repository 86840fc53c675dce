# Unknown names inside check blocks: the shared attributes and each kind's
# own are offered as hints together, except those already set.
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "192.0.2.21:80"
    http_get {
      conect_timeout = 3
      pth            = "/health"
    }
  }
  real_server "rs2" {
    address = "192.0.2.22:80"
    tcp_check {
      rise = 2
      rse  = 3
      sned = "PING"
      rise {}
    }
  }
  real_server "rs3" {
    address = "192.0.2.23:80"
    misc_check {
      path      = "/bin/true"
      usr       = "nobody"
      dely_loop = 3
      insecure  = true
    }
  }
  real_server "rs4" {
    address = "192.0.2.24:443"
    ssl_get {
      insecur = true
      send    = "x"
    }
  }
}
