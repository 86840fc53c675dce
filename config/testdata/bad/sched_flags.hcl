virtual_server "tcp_ops" {
  address = "192.0.2.50:80"
  ops     = true
}

virtual_server "rr_sh" {
  address = "192.0.2.51:80"
  lb_algo = "rr"
  sh_port = true
}

virtual_server "sh_mh" {
  address     = "192.0.2.52:80"
  lb_algo     = "sh"
  mh_fallback = true
}

virtual_server "fwm_ops" {
  fwmark   = 7
  protocol = "udp"
  ops      = true
}

virtual_server "quic" {
  address  = "192.0.2.53:443"
  protocol = "dccp"
}
