# Bad values inside check blocks.
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "198.51.100.7:80"
    http_get {
      path        = "health"
      status_code = [200, "299-200", 700]
      body_regex  = "(ok"
      digest      = "xyz"
      sni         = "www.example.com"
      insecure    = true
      connect_ip  = "nowhere"
      rise        = 0
      connect_timeout = 0
    }
  }
  real_server "rs2" {
    address = "198.51.100.8:80"
    ssl_get {
      cert_file   = "/etc/ssl/client.pem"
      status_code = "2xx"
    }
  }
  real_server "rs3" {
    address = "198.51.100.9:80"
    misc_check {
      path = " "
    }
  }
}
