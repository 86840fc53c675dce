# Converted from the keepalived configuration testdata/nat_sync.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb-nat-1"
}

vrrp_sync_group "VG_1" {
  group         = ["VI_EXT", "VI_INT"]
  notify_master = "/etc/keepalived/sync.sh master"
  notify_backup = "/etc/keepalived/sync.sh backup"
}

vrrp_instance "VI_EXT" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  virtual_ipaddress = ["198.51.100.100/24 dev eth0"]
}

vrrp_instance "VI_INT" {
  state             = "MASTER"
  interface         = "eth1"
  virtual_router_id = 52
  priority          = 150
  advert_int        = 1
  virtual_ipaddress = ["192.168.10.1/24 dev eth1 label eth1:1"]
}

virtual_server "198.51.100.100:80" {
  address            = "198.51.100.100:80"
  delay_loop         = 10
  lb_algo            = "wrr"
  lb_kind            = "NAT"
  protocol           = "tcp"
  sorry_server       = "192.168.10.250:8080"
  inhibit_on_failure = true
  real_server "192.168.10.8:8080" {
    address = "192.168.10.8:8080"
    weight  = 3
    tcp_check {
      connect_timeout    = 3
      connect_port       = 8080
      retry              = 2
      delay_before_retry = 1
    }
  }
  real_server "192.168.10.9:8080" {
    address            = "192.168.10.9:8080"
    weight             = 1
    inhibit_on_failure = false
    misc_check {
      path         = "/usr/local/bin/check_app 192.168.10.9"
      timeout      = 5
      misc_dynamic = true
      user         = "nobody"
    }
  }
}

virtual_server "198.51.100.100:53/udp" {
  address    = "198.51.100.100:53"
  delay_loop = 5
  lb_algo    = "rr"
  lb_kind    = "NAT"
  protocol   = "udp"
  real_server "192.168.10.8:53" {
    address = "192.168.10.8:53"
    misc_check {
      path    = "/usr/local/bin/check_dns 192.168.10.8"
      timeout = 10
    }
  }
}
