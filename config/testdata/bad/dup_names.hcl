global {
  notification {
    webhook "chat" {
      url = "https://hooks.example.com/a"
    }
    webhook "chat" {
      url = "https://hooks.example.com/b"
    }
  }
}

vrrp_script "chk" {
  script = "/bin/true"
}

vrrp_script "chk" {
  script = "/bin/false"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 2
}

vrrp_sync_group "G" {
  group = ["VI_1"]
}

vrrp_sync_group "G" {
  group = []
}

virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "198.51.100.7:80"
  }
  real_server "rs1" {
    address = "198.51.100.8:80"
  }
  real_server "rs3" {
    address = "198.51.100.7:80"
  }
}

virtual_server "web" {
  address = "192.0.2.50:443"
}

virtual_server "web2" {
  address = "192.0.2.50:80"
}
