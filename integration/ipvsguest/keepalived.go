package ipvsguest

// The keepalived side of the end-to-end lab that needs no guest: its
// keepalived.conf and the translation of keepalived's log lines into the
// lab's wording. Like load.go it carries no build tag, so
// keepalived_test.go checks both in every test run (the config against
// keepalived -t itself where keepalived is installed).

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	kaState  = regexp.MustCompile(`\((\S+)\) Entering ([A-Z]+) STATE`)
	kaReload = regexp.MustCompile(`Reloading \.\.\.$`)
	kaStamp  = regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: `)
)

// keepalivedMsg turns one keepalived log line into the lab's wording:
// state changes and the start of a reload are translated, every other
// line keeps its text (without keepalived's own timestamp).
func keepalivedMsg(line string) string {
	line = kaStamp.ReplaceAllString(line, "")
	if m := kaState.FindStringSubmatch(line); m != nil {
		return m[1] + " is now " + m[2]
	}
	if kaReload.MatchString(line) {
		return "reloaded"
	}
	return line
}

// keepalivedConfig is the end-to-end lab's lbhad config (e2eConfig in
// e2e_test.go) as keepalived.conf, for director i and the given VIP: the same instances,
// sync group, virtual server, real servers, checks and sorry server.
// lbhad's http_get fall 2 / rise 1 at delay_loop 1 is keepalived's
// HTTP_GET with retry 1 and delay_before_retry 1 (two failed attempts a
// second apart take a server out, one success brings it back).
// keepalived has no lvs_drain_timeout and no webhook notifier.
func keepalivedConfig(vip string, nat bool, i int) string {
	prio := []int{150, 100}[i]
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id lb%d\n}\n", i+1)
	kind, port, net := "DR", 80, "192.0.2"
	if nat {
		kind, port, net = "NAT", 8080, "198.51.100"
		fmt.Fprintf(&b, `
vrrp_sync_group VG_1 {
  group {
    VI_EXT
    VI_INT
  }
}

vrrp_instance VI_EXT {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int 1
  virtual_ipaddress {
    %s/24 dev eth0
  }
}

vrrp_instance VI_INT {
  state BACKUP
  interface eth1
  virtual_router_id 52
  priority %d
  advert_int 1
  virtual_ipaddress {
    198.51.100.1/24 dev eth1
  }
}
`, prio, vip, prio)
	} else {
		fmt.Fprintf(&b, `
vrrp_instance VI_1 {
  state %s
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass lvs51
  }
  virtual_ipaddress {
    %s/24
  }
}
`, []string{"MASTER", "BACKUP"}[i], prio, vip)
	}
	fmt.Fprintf(&b, `
virtual_server %s 80 {
  delay_loop 1
  lb_algo rr
  lb_kind %s
  protocol TCP
  sorry_server %s.30 %d
`, vip, kind, net, port)
	for j := 1; j <= 3; j++ {
		fmt.Fprintf(&b, `
  real_server %s.%d %d {
    weight 1
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
`, net, 20+j, port)
	}
	b.WriteString("}\n")
	return b.String()
}
