virtual_server "web" {
  address = "192.0.2.50:80"
  lb_algo = "roundrobin"
}
