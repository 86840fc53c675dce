# A "sorry server" answers when every real server is down: lbhad adds it
# to the IPVS service (weight 1) once the live weight falls below quorum,
# and removes it when a real server comes back. Here it is a local web
# server with a maintenance page.
#
# inhibit_on_failure keeps a failed real server in the IPVS table with
# weight 0 instead of deleting it, so its established connections are not
# cut off while it flaps; new connections avoid it.

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150 # the peer: 100
  virtual_ipaddress = ["172.16.100.1/24"]
}

virtual_server "web" {
  address            = "172.16.100.1:80"
  lb_algo            = "rr"
  lb_kind            = "NAT"
  sorry_server       = "127.0.0.1:80"
  inhibit_on_failure = true

  real_server "web1" {
    address = "192.168.10.8:80"
    http_get {
      path = "/"
    }
  }

  real_server "web2" {
    address = "192.168.10.9:80"
    http_get {
      path = "/"
    }
  }
}
