# Converted from the keepalived configuration testdata/unsupported.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb-odd"
  # not converted (testdata/unsupported.conf:4): vrrp_garp_interval 0.001: lbhad sends each burst of gratuitous ARPs back to back and has no delay between them
  # not converted (testdata/unsupported.conf:5): vrrp_skip_check_adv_addr: lbhad always checks the addresses in received advertisements
  # not converted (testdata/unsupported.conf:6): vrrp_strict: lbhad follows RFC 3768 without keepalived's strict-mode firewall rules
  # not converted (testdata/unsupported.conf:7): dynamic_interfaces: lbhad needs the interfaces of its instances to exist when it starts
  # not converted (testdata/unsupported.conf:8): notification_email { ... }: lbhad needs notification_email, notification_email_from and smtp_server together to send mail
  # not converted (testdata/unsupported.conf:11): smtp_server 192.0.2.25 2525: lbhad needs notification_email, notification_email_from and smtp_server together to send mail
}

vrrp_script "chk_nginx" {
  script   = "/usr/bin/pidof nginx"
  interval = 2
  # not converted (testdata/unsupported.conf:17): timeout 5: lbhad needs timeout shorter than interval (2s) and then uses the interval as the timeout
  weight = -20
  # not converted (testdata/unsupported.conf:18): weight -20 reverse: lbhad has no reversed weights; the weight is kept with its usual meaning
  # not converted (testdata/unsupported.conf:19): init_fail: lbhad has no equivalent of this keepalived option
}

# not converted (testdata/unsupported.conf:22): bfd_instance BFD_1 { ... }: lbhad does not implement BFD

vrrp_instance "VI_1" {
  state     = "BACKUP"
  interface = "eth0"
  # not converted (testdata/unsupported.conf:30): use_vmac vrrp51: lbhad adds virtual addresses to the interface itself and has no VMAC (macvlan) interfaces
  virtual_router_id = 51
  priority          = 100
  # not converted (testdata/unsupported.conf:33): advert_int 0.5: VRRPv2 carries advert_int in whole seconds from 1 to 255 and VRRPv3 in centiseconds from 0.01 to 40.95 (keepalived rounds a VRRPv2 fraction to whole seconds; lbhad needs version 3 for it)
  authentication {
    auth_type = "PASS"
    # not converted (testdata/unsupported.conf:36): auth_pass (longer than 8 bytes): VRRPv2 carries 8 bytes; keepalived silently used only the first 8, and so does the converted auth_pass, so peers still agree
    auth_pass = "toolongp"
  }
  # not converted (testdata/unsupported.conf:39): 192.0.2.50/24 dev eth0 brd 192.0.2.255 scope global: lbhad sets only dev and label on a virtual address; "brd 192.0.2.255 scope global" left out, the address is kept
  # not converted (testdata/unsupported.conf:40): 2001:db8::50/64: an instance is IPv4 or IPv6, as in keepalived; put the other family's addresses in a second vrrp_instance in a vrrp_sync_group with this one
  virtual_ipaddress = ["192.0.2.50/24 dev eth0"]
  # not converted (testdata/unsupported.conf:42): virtual_ipaddress_excluded { ... }: lbhad advertises every virtual address; move these into virtual_ipaddress or manage them outside lbhad
  # not converted (testdata/unsupported.conf:46): eth1 weight -10: lbhad has no weighted track_interface: a tracked interface going down always puts the instance into FAULT
  track_interface = ["eth1"]
  track_script "chk_nginx" {
    weight = -30
  }
  # not converted (testdata/unsupported.conf:50): chk_missing: no vrrp_script of this name is defined (vrrp_track_process and others are not supported)
  # not converted (testdata/unsupported.conf:52): track_bfd { ... }: lbhad does not implement BFD
  notify_master = "/etc/keepalived/master.sh"
  # not converted (testdata/unsupported.conf:55): notify_master /etc/keepalived/master.sh root: lbhad runs notify commands as global script_user and cannot set a user per command; if these words were meant as arguments, quote the whole command
  # not converted (testdata/unsupported.conf:56): smtp_alert: global_defs has no complete mail settings (notification_email, notification_email_from, smtp_server), so there is nowhere to send alerts
}

# not converted (testdata/unsupported.conf:59): virtual_server_group HTTP_GROUP { ... }: lbhad has no virtual server groups; define one virtual_server per address (or use a fwmark)

# not converted (testdata/unsupported.conf:64): virtual_server group HTTP_GROUP { ... }: virtual_server_group is not supported; define one virtual_server per address (or use a fwmark)

virtual_server "192.0.2.50:443" {
  address = "192.0.2.50:443"
  lb_algo = "rr"
  lb_kind = "NAT"
  # not converted (testdata/unsupported.conf:73): ops: lbhad does not set IPVS one-packet scheduling
  # not converted (testdata/unsupported.conf:74): alpha: lbhad starts every real server as alive until its first check; keepalived's alpha (start as failed) is not supported
  real_server "192.0.2.71:443" {
    address = "192.0.2.71:443"
    tcp_check {
      connect_timeout = 2
    }
    # not converted (testdata/unsupported.conf:79): HTTP_GET { ... }: lbhad runs one health check per real server; the TCP_CHECK at line 76 is kept
    # not converted (testdata/unsupported.conf:84): SMTP_CHECK { ... }: lbhad has no SMTP check; use a tcp_check with expect = "220"
  }
}

# not converted (testdata/unsupported.conf:90): virtual_server 192.0.2.50 3868 { ... }: lbhad balances TCP and UDP only; this SCTP service is left out (protocol at line 91)
