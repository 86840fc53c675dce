virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address         = "198.51.100.7:80"
    upper_threshold = 100
    lower_threshold = 200
  }
  real_server "rs2" {
    address         = "198.51.100.8:80"
    lower_threshold = 200
  }
}
