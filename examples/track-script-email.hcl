# VRRP in front of a local HAProxy: if haproxy dies on the master, the
# tracked script fails twice (fall = 2, 2 s apart), the priority drops by 2
# from 101 to 99, below the backup's 100, and the backup takes the VIP.
# One success (rise = 1) restores it. Every state change is mailed.
#
# The backup director uses priority = 100 and state = "BACKUP".

global {
  router_id = "lb1"
  # Scripts run as the daemon's user (root with lbhad.service's
  # capabilities): "killall -0" must be allowed to signal haproxy.

  notification {
    email {
      server   = "smtp.example.com:587"
      from     = "lbhad@lb1.example.com"
      to       = ["ops@example.com"]
      starttls = true
    }
  }
}

vrrp_script "chk_haproxy" {
  script   = "killall -0 haproxy" # signal 0: only tests that the process exists
  interval = 2
  weight   = -2
  fall     = 2
  rise     = 1
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  state             = "MASTER"
  virtual_router_id = 51
  priority          = 101
  virtual_ipaddress = ["172.16.100.1/24"]

  track_script "chk_haproxy" {}

  smtp_alert = true
}
