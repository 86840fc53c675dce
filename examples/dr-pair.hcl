# Direct-routing (LVS-DR) director pair for one web service.
#
# Clients reach the VIP 172.16.100.1:80; the active director picks a real
# server with wlc and rewrites only the destination MAC, so replies go from
# the real servers straight back to the clients. Each real server must
# therefore own the VIP on a non-ARPing interface, e.g. on lo:
#
#   ip addr add 172.16.100.1/32 dev lo
#   sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
#
# and, because DR cannot rewrite ports, listen on the same port 80.
#
# This is the file of the preferred director (priority 150). The peer uses
# the same file with:
#
#   priority = 100
#   router_id = "lb2"

global {
  router_id = "lb1"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  state             = "MASTER" # both start in BACKUP really; the higher priority wins
  virtual_router_id = 51
  priority          = 150 # the peer: 100
  advert_int        = 1

  authentication {
    auth_type = "PASS"
    auth_pass = "lvs51"
  }

  virtual_ipaddress = ["172.16.100.1/24"]
}

virtual_server "web" {
  address    = "172.16.100.1:80"
  protocol   = "tcp"
  lb_algo    = "wlc"
  lb_kind    = "DR"
  delay_loop = 6

  real_server "web1" {
    address = "172.16.100.7:80"
    weight  = 2
    http_get {
      path            = "/healthz"
      status_code     = [200]
      connect_timeout = 3
      retry           = 2
    }
  }

  real_server "web2" {
    address = "172.16.100.8:80"
    weight  = 5
    http_get {
      path            = "/healthz"
      status_code     = [200]
      connect_timeout = 3
      retry           = 2
    }
  }
}
