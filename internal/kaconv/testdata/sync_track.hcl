# Converted from the keepalived configuration testdata/sync_track.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_script "chk_gw" {
  script = "/usr/local/bin/chk_gw"
  weight = -30
}

track_file "maint" {
  file = "/run/lb/maint"
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
  virtual_ipaddress = ["192.0.2.50/24"]
}

vrrp_instance "VI_INT" {
  interface         = "eth1"
  virtual_router_id = 52
  priority          = 150
  virtual_ipaddress = ["198.51.100.1/24"]
}
