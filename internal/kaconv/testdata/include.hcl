# Converted from the keepalived configuration testdata/include.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb-inc"
}

# Converted from testdata/include.d/vrrp.conf, included by testdata/include.conf.

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 61
  priority          = 100
  virtual_ipaddress = ["192.0.2.60/24"]
}

# Converted from testdata/include.d/vs_api.conf, included by testdata/include.conf.

virtual_server "192.0.2.60:8443" {
  address    = "192.0.2.60:8443"
  protocol   = "tcp"
  lb_algo    = "sh"
  lb_kind    = "DR"
  ha_suspend = true
  real_server "192.0.2.72:8443" {
    address = "192.0.2.72:8443"
    ssl_get {
      path = "/api/health"
      # keepalived's SSL_GET does not verify the server certificate; set ca_file (or sni) and remove insecure to verify it.
      insecure = true
    }
  }
}

# Converted from testdata/include.d/vs_web.conf, included by testdata/include.conf.

virtual_server "192.0.2.60:80" {
  address  = "192.0.2.60:80"
  protocol = "tcp"
  lb_algo  = "rr"
  lb_kind  = "DR"
  real_server "192.0.2.71:80" {
    address = "192.0.2.71:80"
    tcp_check {
      connect_timeout = 2
    }
  }
}
