# The instance and the service of good/minimal.hcl in two files, plus a
# sync group in a third that names the instance defined in the first.
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50"]
}
