# Timeouts as long as or longer than the interval are valid, as in
# keepalived 2.2.7: the checker never starts a run while one is going.
vrrp_script "chk" {
  script   = "/bin/true"
  interval = 2
  timeout  = 2
}

vrrp_script "chk2" {
  script  = "/bin/true"
  timeout = "3s"
}

virtual_server "web" {
  address    = "192.0.2.50:80"
  delay_loop = 10
  real_server "rs1" {
    address = "198.51.100.7:80"
    misc_check {
      path    = "/usr/local/bin/check"
      timeout = 10
    }
  }
  real_server "rs2" {
    address = "198.51.100.8:80"
    misc_check {
      path       = "/usr/local/bin/check"
      delay_loop = 5
      timeout    = "6s"
    }
  }
}
