virtual_server "web" {
  address = "192.0.2.50:80"

  real_server "rs1" {
    address = "198.51.100.7:80"
    http_get {}
  }
}
