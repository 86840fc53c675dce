# Converted from the keepalived configuration testdata/sync_track.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_script "chk_gw" {
  script = "/usr/local/bin/chk_gw"
  weight = -30
}

track_file "maint" {
  file = "/run/lb/maint"
}

track_file "spare" {
  file = "/run/lb/spare"
}

vrrp_script "chk_flag" {
  script = "/usr/local/bin/chk_flag"
}

vrrp_sync_group "VG_1" {
  group           = ["VI_EXT", "VI_INT"]
  track_interface = ["eth2 weight -40", "eth3"]
  track_script "chk_gw" {
  }
  track_file "maint" {
    weight  = -10
    reverse = true
  }
}

vrrp_instance "VI_EXT" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  # not converted (testdata/sync_track.conf:43): eth4 weight -20: keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group VG_1, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights; written without its weight, as keepalived runs it (eth4)
  # not converted (testdata/sync_track.conf:44): eth5 weight 10 reverse: keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group VG_1, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights; written without its weight, as keepalived runs it (eth5 weight 0 reverse)
  track_interface = ["eth4", "eth5 weight 0 reverse", "eth6"]
  # not converted (testdata/sync_track.conf:48): chk_gw: keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group VG_1, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights; left out, as keepalived leaves it out
  track_script "chk_flag" {
  }
  track_file "maint" {
    weight = 0
    # not converted (testdata/sync_track.conf:52): maint: keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group VG_1, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights; written with weight 0, as keepalived runs it (the file is a flag: any number but 0 is FAULT)
  }
  # not converted (testdata/sync_track.conf:53): spare weight 5: keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group VG_1, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights; left out, as keepalived leaves it out
  virtual_ipaddress = ["192.0.2.50/24"]
}

vrrp_instance "VI_INT" {
  interface         = "eth1"
  virtual_router_id = 52
  priority          = 150
  virtual_ipaddress = ["198.51.100.1/24"]
}

vrrp_sync_group "VG_2" {
  group = ["VI_W"]
}

vrrp_instance "VI_W" {
  interface         = "eth0"
  virtual_router_id = 53
  priority          = 150
  track_interface   = ["eth4 weight -20"]
  track_script "chk_gw" {
  }
  virtual_ipaddress = ["192.0.2.60/24"]
}
