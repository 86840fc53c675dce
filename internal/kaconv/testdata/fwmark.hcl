# Converted from the keepalived configuration testdata/fwmark.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["203.0.113.10/24"]
}

virtual_server "fwmark-10" {
  fwmark              = 10
  delay_loop          = 6
  lb_algo             = "wlc"
  lb_kind             = "DR"
  persistence_timeout = 600
  persistence_netmask = "255.255.255.0"
  real_server "203.0.113.21" {
    address = "203.0.113.21"
    weight  = 1
    ssl_get {
      path            = "/healthz"
      status_code     = [200]
      connect_port    = 443
      connect_timeout = 3
      virtualhost     = "shop.example.com"
      # keepalived's SSL_GET does not verify the server certificate; set ca_file (or sni) and remove insecure to verify it.
      insecure = true
    }
  }
  real_server "203.0.113.22" {
    address = "203.0.113.22"
    weight  = 1
    tcp_check {
      connect_port = 443
      connect_ip   = "203.0.113.122"
      bindto       = "203.0.113.11"
    }
  }
}
