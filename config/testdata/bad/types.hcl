# Values of the wrong type, and expressions that are not plain values.
vrrp_script "chk" {
  script   = ["not", "a", "string"]
  interval = "soon"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = "high"
  nopreempt         = "maybe"
  virtual_ipaddress = { a = 1 }
  garp_master_delay = -1
  notify_master     = var.script
}
