virtual_server_group "mixed" {
  addresses = ["192.0.2.10:80", "[2001:db8::10]:80"]
}

virtual_server_group "ranges" {
  addresses = ["192.0.2.20-10:80", "192.0.2.30-x:80", "192.0.2.40", "[2001:db8::1-ffff]:80"]
  fwmarks   = [0]
}

virtual_server_group "web" {
  addresses = ["192.0.2.50-51:80"]
}

virtual_server "a" {
  group   = "web"
  address = "192.0.2.60:80"
}

virtual_server "b" {
  group = "nosuch"
}

virtual_server "c" {
  group = "web"
  real_server "r" {
    address = "198.51.100.7:8080"
    lb_kind = "DR"
  }
}

virtual_server "d" {
  address = "192.0.2.51:80"
}
