virtual_server "both" {
  address = "192.0.2.50:80"
  fwmark  = 10
}

virtual_server "neither" {
  lb_algo = "rr"
}

virtual_server "bad" {
  address = "192.0.2.50"
}

virtual_server "port0" {
  address = "192.0.2.51:0"
}

virtual_server "mark0" {
  fwmark = 0
}
