# smtp_alert with nowhere to send mail.
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 1
  smtp_alert        = true
}

vrrp_sync_group "G" {
  group      = ["VI_1"]
  smtp_alert = true
}
