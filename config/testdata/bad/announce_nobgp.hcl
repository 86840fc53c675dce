virtual_server "web" {
  address  = "192.0.2.80:80"
  announce = true
  real_server "a" {
    address = "198.51.100.10:80"
  }
}
