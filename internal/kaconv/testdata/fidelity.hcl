# Converted from the keepalived configuration testdata/fidelity.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

global {
  router_id = "lb1"
}

track_file "maint" {
  file      = "/etc/keepalived/maint"
  weight    = -10
  init_file = true
}

vrrp_instance "VI_AH" {
  interface         = "eth0"
  virtual_router_id = 61
  priority          = 100
  # not converted (testdata/fidelity.conf:19): auth_type AH: lbhad has no IPsec AH authentication, so this instance loses its authentication: written without it, it would neither authenticate its peers nor be accepted by a keepalived peer using AH
  # not converted (testdata/fidelity.conf:20): auth_pass: lost with auth_type AH
  virtual_ipaddress = ["192.0.2.61/24 scope global"]
  track_file "maint" {
    weight = -20
  }
}

virtual_server "192.0.2.61:443" {
  address  = "192.0.2.61:443"
  protocol = "udp"
  # not converted (testdata/fidelity.conf:30): virtual_server 192.0.2.61 443 without protocol: keepalived 2.2.7 reports "no protocol set" and balances UDP; written as protocol = "udp" to match, set protocol = "tcp" if that was meant
  lb_algo             = "twos"
  lb_kind             = "DR"
  persistence_timeout = 360
  real_server "198.51.100.1:443" {
    address = "198.51.100.1:443"
    ssl_get {
      path        = "/health"
      body_regex  = "^OK( [0-9]+)?$"
      virtualhost = "www.example.com"
      # keepalived's SSL_GET does not verify the server certificate; set ca_file (or sni) and remove insecure to verify it.
      insecure = true
    }
  }
  real_server "198.51.100.2:443" {
    address = "198.51.100.2:443"
    http_get {
      path = "/health"
      # not converted (testdata/fidelity.conf:50): regex "(a)\1": Go's RE2 cannot read this expression (error parsing regexp: invalid escape sequence: `\1`); translate it and set body_regex by hand
      virtualhost = "own.example.com"
    }
  }
  # not converted (testdata/fidelity.conf:56): BFD_CHECK { ... }: BFD is out of scope: lbhad has no BFD (see Health checks in docs/config.md)
  # not converted (testdata/fidelity.conf:55): real_server 198.51.100.3 443 { ... }: real server left out: lbhad cannot run all of its checks (BFD_CHECK at line 56), and keepalived takes it out when any one fails; written with fewer checks it would take traffic keepalived would not send it
}

virtual_server "192.0.2.61:80" {
  address  = "192.0.2.61:80"
  protocol = "tcp"
  # not converted (testdata/fidelity.conf:63): lb_algo RR: keepalived 2.2.7 rejects the upper-case name and uses wlc; write lb_algo = "rr" if that is what was meant
  # not converted (testdata/fidelity.conf:64): lb_kind dr: keepalived 2.2.7 rejects the lower-case name and forwards with NAT; write lb_kind = "DR" if that is what was meant
  real_server "198.51.100.1:80" {
    address = "198.51.100.1:80"
    tcp_check {
      # not converted (testdata/fidelity.conf:67): frobnicate 3: lbhad has no equivalent of this keepalived option
    }
  }
}

# not converted (testdata/fidelity.conf:73): vrrp_script chk_empty { ... }: no script is set: keepalived removes such a vrrp_script ("No script set ... - removing") and ignores the instances' track_script entries for it

# not converted (testdata/fidelity.conf:78): vrrp_sync_group G_EMPTY { ... }: no group { ... } block: keepalived takes the names in it for unknown keywords, so the sync group has no instances
