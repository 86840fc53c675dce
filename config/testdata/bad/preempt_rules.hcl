# Warnings, not errors: the Config is still returned, with the settings
# keepalived 2.2.7 clears cleared (see TestPreemptRules).
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  state             = "MASTER"
  nopreempt         = true
  preempt_delay     = 5
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 2
  nopreempt         = true
  preempt_delay     = 5
}

vrrp_instance "VI_3" {
  interface         = "eth0"
  virtual_router_id = 3
  priority          = 255
  nopreempt         = true
}
