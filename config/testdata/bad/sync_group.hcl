vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
}

vrrp_instance "VI_2" {
  interface         = "eth1"
  virtual_router_id = 1
}

vrrp_sync_group "G1" {
  group = ["VI_1", "VI_3"]
}

vrrp_sync_group "G2" {
  group = ["VI_2", "VI_1", "VI_2"]
}
