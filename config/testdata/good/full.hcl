# Every block and most attributes, with non-default values.
global {
  router_id              = "lb1"
  script_user            = "lbhad_script"
  enable_script_security = true
  max_script_processes   = 16
  control_socket         = "/run/lbhad/ctl.sock"
  metrics_listen         = "127.0.0.1:9469"
  lvs_drain_timeout      = "2m"
  lvs_keep_on_stop       = true
  lvs_resync_interval    = "10s"

  lvs_timeouts {
    tcp    = "900s"
    tcpfin = 120
    udp    = "5m"
  }

  notification {
    email {
      server          = "smtp.example.com"
      from            = "lbhad@example.com"
      to              = ["ops@example.com", "noc@example.com"]
      starttls        = true
      username        = "lbhad"
      password        = "s3cret"
      connect_timeout = "10s"
    }
    webhook "chat" {
      url        = "https://hooks.example.com/lbhad"
      secret     = "k"
      headers    = { "X-Team" = "net" }
      timeout    = 2
      retries    = 5
      queue_size = 50
    }
  }
}

vrrp_script "chk_haproxy" {
  script   = "/usr/bin/killall -0 haproxy"
  interval = 2
  timeout  = "1500ms"
  weight   = -20
  rise     = 2
  fall     = 3
  user     = "nobody"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = "2s"
  state             = "backup"
  preempt_delay     = 30
  authentication {
    auth_type = "pass"
    auth_pass = "pw12"
  }
  virtual_ipaddress = ["192.0.2.50/24", "192.0.2.51 dev eth1 label eth1:1"]
  unicast_src_ip    = "192.0.2.11"
  unicast_peer      = ["192.0.2.12"]
  track_interface   = ["eth1"]
  track_script "chk_haproxy" {}
  garp_master_delay   = 1
  garp_master_repeat  = 3
  garp_master_refresh = "60s"
  notify_master       = "/etc/lbhad/master.sh"
  notify_backup       = "/etc/lbhad/backup.sh"
  notify_fault        = "/etc/lbhad/fault.sh"
  notify_stop         = "/etc/lbhad/stop.sh"
  notify              = "/etc/lbhad/notify.sh"
  smtp_alert          = true
}

vrrp_instance "VI_2" {
  interface         = "eth1"
  virtual_router_id = 52
  nopreempt         = true
  virtual_ipaddress = ["198.51.100.1/24"]
  track_script "chk_haproxy" {
    weight = -50
  }
}

vrrp_sync_group "G1" {
  group         = ["VI_1", "VI_2"]
  notify_master = "/etc/lbhad/g-master.sh"
  notify        = "/etc/lbhad/g.sh"
  smtp_alert    = true
}

virtual_server "web" {
  address             = "192.0.2.50:80"
  protocol            = "TCP"
  lb_algo             = "wrr"
  lb_kind             = "DR"
  persistence_netmask = "255.255.255.0"
  quorum              = 2
  hysteresis          = 1
  sorry_server        = "127.0.0.1"
  inhibit_on_failure  = true
  delay_loop          = 10
  quorum_up           = "/etc/lbhad/up.sh"
  quorum_down         = "/etc/lbhad/down.sh"

  real_server "rs1" {
    address         = "192.0.2.7:80"
    weight          = 2
    upper_threshold = 1000
    lower_threshold = 800
    notify_up       = "/etc/lbhad/rs-up.sh"
    notify_down     = "/etc/lbhad/rs-down.sh"
    ssl_get {
      path               = "/health"
      virtualhost        = "www.example.com"
      status_code        = [200, "300-302"]
      body_regex         = "^ok"
      digest             = "9E107D9D372BB6826BD81D3542A419D6"
      ca_file            = "/etc/ssl/ca.pem"
      connect_timeout    = "3s"
      delay_loop         = "5s"
      rise               = 2
      fall               = 3
      retry              = 1
      delay_before_retry = "500ms"
      warmup             = 4
      connect_ip         = "192.0.2.70"
      connect_port       = 8443
      bindto             = "192.0.2.11"
    }
  }

  real_server "rs2" {
    address            = "192.0.2.8"
    inhibit_on_failure = false
    tcp_check {
      send   = "PING\r\n"
      expect = "+PONG"
    }
  }
}

virtual_server "dns" {
  fwmark   = 7
  protocol = "udp"
  lb_algo  = "rr"
  lb_kind  = "tun"

  real_server "ns1" {
    address = "198.51.100.53"
    lb_kind = "nat"
    weight  = 0
    misc_check {
      path         = "/usr/local/bin/check_dns 198.51.100.53"
      timeout      = 20
      misc_dynamic = true
      user         = "nobody"
    }
  }
}
