vrrp_sync_group "G" {
  group = ["VI_1"]
}
