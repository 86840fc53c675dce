# Converted from the keepalived configuration testdata/groups.conf by lbhad convert.
# Review every "not converted" comment, then check the file with: lbhad validate -c FILE

virtual_server_group "WEB" {
  # not converted (testdata/groups.conf:7): fwmark 8 inet: lbhad takes fwmark N in a group; inet and inet6 (for groups whose real servers are all tunnelled) are not carried
  # not converted (testdata/groups.conf:8): 198.51.100.0/30 80: lbhad takes a range as IP-LAST (the last byte or group varying); write this prefix as such a range
  # not converted (testdata/groups.conf:9): 192.0.2.30: lbhad takes group entries IP PORT, IP-LAST PORT and fwmark N; an entry without a port (all ports) is not carried, write the port
  addresses = ["192.0.2.10:80", "192.0.2.20-25:80"]
  fwmarks   = [7]
}

virtual_server_group "WEB6" {
  addresses = ["[2001:db8::10-1f]:443"]
}

virtual_server_group "MIXED" {
  # not converted (testdata/groups.conf:20): 2001:db8::50 80: lbhad needs one address family per group (IPVS sends a service's traffic to real servers of its own family) and this group is IPv4; put the IPv6 entries in a second group with its own virtual_server
  addresses = ["192.0.2.50:80"]
}

# not converted (testdata/groups.conf:23): virtual_server_group DROPPED { ... }: keepalived 2.2.7 removes a group that has IPv4 and IPv6 addresses and a fwmark without inet or inet6 ("cannot have IPv4, IPv6 and fwmark without family - removing"), and with it the virtual servers using it

virtual_server "group-WEB" {
  group       = "WEB"
  protocol    = "tcp"
  lb_algo     = "sh"
  sh_port     = true
  sh_fallback = true
  lb_kind     = "NAT"
  real_server "198.51.100.7:80" {
    address = "198.51.100.7:80"
    tcp_check {
    }
  }
}

virtual_server "group-WEB6" {
  group       = "WEB6"
  protocol    = "tcp"
  lb_algo     = "mh"
  mh_fallback = true
  mh_port     = true
  lb_kind     = "DR"
  real_server "[2001:db8:1::7]:443" {
    address = "[2001:db8:1::7]:443"
    tcp_check {
    }
  }
}

# not converted (testdata/groups.conf:53): virtual_server group NOSUCH { ... }: no usable virtual_server_group of this name is defined, so keepalived has no address for this service

virtual_server "group-MIXED/udp" {
  group    = "MIXED"
  protocol = "udp"
  # not converted (testdata/groups.conf:59): ops: lbhad takes ops on UDP services given by address only, not on fwmark or group services
}

# not converted (testdata/groups.conf:62): virtual_server group DROPPED { ... }: no usable virtual_server_group of this name is defined, so keepalived has no address for this service

virtual_server "192.0.2.40:5060/udp" {
  address  = "192.0.2.40:5060"
  protocol = "udp"
  ops      = true
  lb_algo  = "twos"
  real_server "198.51.100.8:5060" {
    address = "198.51.100.8:5060"
  }
}

virtual_server "192.0.2.40:3868/sctp" {
  address  = "192.0.2.40:3868"
  protocol = "sctp"
  lb_algo  = "rr"
  real_server "198.51.100.9:3868" {
    address = "198.51.100.9:3868"
  }
}
