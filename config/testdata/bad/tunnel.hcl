virtual_server "gue_no_port" {
  address  = "192.0.2.50:80"
  lb_kind  = "TUN"
  tun_type = "gue"
}

virtual_server "dr_tunnel" {
  address = "192.0.2.51:80"
  lb_kind = "DR"
  real_server "a" {
    address  = "198.51.100.10:80"
    tun_type = "gre"
  }
}

virtual_server "bad_flags" {
  address   = "192.0.2.52:80"
  lb_kind   = "TUN"
  tun_type  = "gre"
  tun_flags = "remcsum"
  real_server "ipip_port" {
    address  = "198.51.100.10:80"
    tun_type = "ipip"
    tun_port = 6080
  }
  real_server "ipip_csum" {
    address   = "198.51.100.11:80"
    tun_flags = "csum"
  }
  real_server "vxlan" {
    address  = "198.51.100.12:80"
    tun_type = "vxlan"
  }
}

virtual_server "sorry_alone" {
  address                 = "192.0.2.53:80"
  sorry_server_inhibit    = true
  sorry_server_lvs_method = "DR"
}

virtual_server "mark_suspend" {
  fwmark     = 7
  ha_suspend = true
}
