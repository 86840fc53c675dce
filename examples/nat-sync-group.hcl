# LVS-NAT director pair: the director rewrites the destination to a real
# server on the private network 192.168.10.0/24 and the replies come back
# through it, because the real servers use the director's internal address
# 192.168.10.1 as their default gateway.
#
# That gateway address (the DIP) must move together with the public VIP:
# a director holding the VIP but not the gateway would blackhole every reply.
# The vrrp_sync_group makes both instances change state together.
#
# NAT can map ports: clients use port 80, the application listens on 8080.
# Enable forwarding on both directors: sysctl -w net.ipv4.ip_forward=1

vrrp_instance "VI_EXT" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150 # the peer: 100
  virtual_ipaddress = ["172.16.100.1/24 dev eth0"]
}

vrrp_instance "VI_INT" {
  interface         = "eth1"
  virtual_router_id = 52
  priority          = 150 # the peer: 100
  virtual_ipaddress = ["192.168.10.1/24 dev eth1"]
}

vrrp_sync_group "VG_1" {
  group = ["VI_EXT", "VI_INT"]
}

virtual_server "app" {
  address = "172.16.100.1:80"
  lb_algo = "wrr"
  lb_kind = "NAT"

  real_server "app1" {
    address = "192.168.10.8:8080"
    weight  = 3
    tcp_check {
      connect_timeout = 3
    }
  }

  real_server "app2" {
    address = "192.168.10.9:8080"
    weight  = 1
    tcp_check {
      connect_timeout = 3
    }
  }
}
