# Required attributes left out, and a block without its label.
vrrp_script "chk" {
}

vrrp_instance "VI_1" {
  priority = 100
}

vrrp_instance {
  interface         = "eth0"
  virtual_router_id = 1
}

virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    misc_check {}
  }
}

global {}
global {}
