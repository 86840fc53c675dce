package realserver

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteStatus(t *testing.T) {
	tests := []struct {
		name      string
		st        State
		want, not []string
	}{
		{"fresh host", fresh(),
			[]string{"VIPs: none", "net.ipv4.conf.all.arp_ignore 0 (a DR/TUN real server needs 1)"},
			[]string{"net.ipv4.conf.lo."}},
		{"after dr on", applied(fresh(), Plan(Want{VIP: vip4, Mode: DR, On: true}, fresh())),
			[]string{"192.0.2.50 dr on lo", "net.ipv4.conf.all.arp_ignore 1|", "net.ipv4.conf.eth0.arp_announce 2|"},
			[]string{"needs", "none"}},
		{"tun with strict rp_filter", applied(fresh(), []Step{{EnsureLink: "tunl0"}, {AddAddr: true, Link: "tunl0", Addr: p("192.0.2.51/32")}}),
			[]string{"192.0.2.51 tun on tunl0", "net.ipv4.conf.tunl0.rp_filter 1 (strict: TUN needs 0 or 2)"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			WriteStatus(&b, tc.st)
			// Columns aside: one space between fields, "|" ends a line.
			var lines []string
			for _, l := range strings.Split(b.String(), "\n") {
				lines = append(lines, strings.Join(strings.Fields(l), " "))
			}
			got := strings.Join(lines, "|")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("has %q:\n%s", n, b.String())
				}
			}
		})
	}
}
