# Converted from the keepalived configuration testdata/unsupported.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id          = "lb-odd"
  vrrp_garp_interval = 0.001
  # not converted (testdata/unsupported.conf:6): vrrp_strict: lbhad follows RFC 3768 without keepalived's strict-mode firewall rules
  # not converted (testdata/unsupported.conf:8): notification_email { ... }: lbhad needs notification_email_from to send mail; keepalived sent from USER@HOST (the user it ran as and the local host name): set from by hand
  # not converted (testdata/unsupported.conf:11): smtp_server 192.0.2.25 2525: lbhad needs notification_email_from to send mail; keepalived sent from USER@HOST (the user it ran as and the local host name): set from by hand
}

vrrp_script "chk_nginx" {
  script    = "/usr/bin/pidof nginx"
  interval  = 2
  timeout   = 5
  weight    = -20
  reverse   = true
  init_fail = true
}

# not converted (testdata/unsupported.conf:22): bfd_instance BFD_1 { ... }: BFD is out of scope: lbhad has no BFD

vrrp_instance "VI_1" {
  skip_check_adv_addr = true
  state               = "BACKUP"
  interface           = "eth0"
  use_vmac            = "vrrp51"
  virtual_router_id   = 51
  priority            = 100
  # not converted (testdata/unsupported.conf:33): advert_int 0.5: VRRPv2 carries advert_int in whole seconds from 1 to 255; keepalived rounds a fraction to whole seconds, lbhad refuses it: set version 3 on both routers for sub-second adverts
  authentication {
    auth_type = "PASS"
    # keepalived's auth_pass was longer than 8 bytes; VRRPv2 carries 8 and keepalived sent only these, so peers still agree.
    auth_pass = "toolongp"
  }
  # not converted (testdata/unsupported.conf:40): 2001:db8::50/64: this instance is IPv4 (from its first virtual address or native_ipv6), and an instance is IPv4 or IPv6 in both keepalived and lbhad; put the other family's addresses in a second vrrp_instance (it may share the virtual_router_id) and both instances in one vrrp_sync_group; or list them in virtual_ipaddress_excluded, which takes either family
  virtual_ipaddress          = ["192.0.2.50/24 dev eth0 brd 192.0.2.255 scope global"]
  virtual_ipaddress_excluded = ["192.0.2.99"]
  track_interface            = ["eth1 weight -10"]
  track_script "chk_nginx" {
    weight = -30
  }
  # not converted (testdata/unsupported.conf:50): chk_missing: no vrrp_script of this name is defined (vrrp_track_process and others are not supported)
  # not converted (testdata/unsupported.conf:52): track_bfd { ... }: BFD is out of scope: lbhad has no BFD
  notify_master = "/etc/keepalived/master.sh"
  # not converted (testdata/unsupported.conf:55): notify_master /etc/keepalived/master.sh root: lbhad runs notify commands as global script_user and cannot set a user per command; if these words were meant as arguments, quote the whole command
}

virtual_server_group "HTTP_GROUP" {
  addresses = ["192.0.2.50:80", "192.0.2.51:80"]
}

virtual_server "group-HTTP_GROUP" {
  group    = "HTTP_GROUP"
  protocol = "udp"
  # not converted (testdata/unsupported.conf:64): virtual_server group HTTP_GROUP without protocol: keepalived 2.2.7 reports "no protocol set" and balances UDP; written as protocol = "udp" to match, set protocol = "tcp" if that was meant
  lb_algo = "rr"
  real_server "192.0.2.71:80" {
    address = "192.0.2.71:80"
  }
}

virtual_server "192.0.2.50:443" {
  address  = "192.0.2.50:443"
  protocol = "udp"
  # not converted (testdata/unsupported.conf:70): virtual_server 192.0.2.50 443 without protocol: keepalived 2.2.7 reports "no protocol set" and balances UDP; written as protocol = "udp" to match, set protocol = "tcp" if that was meant
  lb_algo = "rr"
  lb_kind = "NAT"
  ops     = true
  alpha   = true
  real_server "192.0.2.71:443" {
    address = "192.0.2.71:443"
    tcp_check {
      connect_timeout = 2
    }
    http_get {
      path = "/"
    }
    smtp_check {
      connect_timeout = 5
    }
  }
}

virtual_server "192.0.2.50:3868/sctp" {
  address  = "192.0.2.50:3868"
  protocol = "sctp"
  lb_algo  = "rr"
  real_server "192.0.2.71:3868" {
    address = "192.0.2.71:3868"
  }
}

vrrp_instance "VI_6" {
  skip_check_adv_addr = true
  interface           = "eth0"
  virtual_router_id   = 61
  native_ipv6         = true
  # not converted (testdata/unsupported.conf:102): version 2: keepalived ignores version 2 in an instance already known as IPv6, but given before the IPv6 addresses it speaks its own VRRPv2 over IPv6; lbhad's IPv6 instances speak VRRPv3 only, so this is left out and the instance speaks VRRPv3
  advert_int = 0.5
  # not converted (testdata/unsupported.conf:104): unicast_src_ip 192.0.2.1: unicast_src_ip must be an address of the instance's family (IPv6); put the other family's addresses in a second vrrp_instance (it may share the virtual_router_id) and both instances in one vrrp_sync_group
  # not converted (testdata/unsupported.conf:107): 192.0.2.2: a unicast peer must be of the instance's family (IPv6); put the other family's addresses in a second vrrp_instance (it may share the virtual_router_id) and both instances in one vrrp_sync_group
  unicast_peer      = ["2001:db8::2 max_ttl 255"]
  virtual_ipaddress = ["2001:db8::61/64"]
}
