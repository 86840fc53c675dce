# Numbers outside what VRRPv2 can carry.
vrrp_instance "VI_1" {
  interface          = "eth0"
  virtual_router_id  = 256
  priority           = 0
  advert_int         = "1500ms"
  garp_master_repeat = 0
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 2.5
  priority          = 256
  advert_int        = 300
  preempt_delay     = 2000
}
