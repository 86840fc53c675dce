# One IPVS service for HTTP and HTTPS, selected by firewall mark, with
# persistence so that a client's port-80 and port-443 connections land on
# the same real server for 10 minutes (a shopping cart started over HTTP
# continues over HTTPS).
#
# Mark the traffic for the VIP on both directors:
#
#   iptables -t mangle -A PREROUTING -d 172.16.100.1/32 -p tcp \
#     -m multiport --dports 80,443 -j MARK --set-mark 10
#
# (nftables: ip daddr 172.16.100.1 tcp dport { 80, 443 } meta mark set 10
# in a prerouting chain of type filter, priority mangle.)
#
# A fwmark service has no port; the real servers keep the client's port,
# so their health checks name the port to probe with connect_port.

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150 # the peer: 100
  virtual_ipaddress = ["172.16.100.1/24"]
}

virtual_server "web" {
  fwmark              = 10
  lb_algo             = "wlc"
  lb_kind             = "DR"
  persistence_timeout = 600
  persistence_netmask = "255.255.255.255"

  real_server "web1" {
    address = "172.16.100.7"
    ssl_get {
      connect_port = 443
      path         = "/healthz"
      insecure     = true # self-signed backend certificates
    }
  }

  real_server "web2" {
    address = "172.16.100.8"
    ssl_get {
      connect_port = 443
      path         = "/healthz"
      insecure     = true
    }
  }
}
