# Converted from the keepalived configuration testdata/vroutes.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

vrrp_instance "VI_1" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  # not converted (testdata/vroutes.conf:11): 192.0.2.51/24 dev eth0 peer 192.0.2.52: lbhad sets only brd, dev, scope and label on a virtual address; "peer 192.0.2.52" left out, the address is kept
  virtual_ipaddress          = ["192.0.2.50/24 brd 192.0.2.255 dev eth0 scope global label eth0:1", "192.0.2.51/24 dev eth0"]
  virtual_ipaddress_excluded = ["2001:db8::50/64 dev eth0", "198.51.100.50/32 dev eth1 scope host"]
  # not converted (testdata/vroutes.conf:22): 192.0.2.128/25 via 192.0.2.254 dev eth0 mtu 1400: option "mtu" of virtual_routes is not supported by lbhad
  virtual_routes = ["src 192.0.2.50 to 203.0.113.0/24 via 192.0.2.254 dev eth0 table 100", "198.51.100.0/24 dev eth1 metric 10 no_track", "blackhole 203.0.113.128/25", "0.0.0.0/0 gw 192.0.2.1 table 100"]
  # not converted (testdata/vroutes.conf:27): from 192.0.2.51 table 100: needs a preference: keepalived 2.2.7 picks one itself (16384 for a lone rule) and warns that it is probably not what you want; give it explicitly
  virtual_rules = ["from 192.0.2.50 table 100 preference 100", "to 203.0.113.0/24 iif eth1 table 100 priority 101"]
}
