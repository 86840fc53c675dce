package kaconv

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/lbhad/lbhad/config"
)

var update = flag.Bool("update", false, "rewrite the golden .hcl and .unsupported files in testdata")

// Each case is a realistic keepalived.conf; its conversion must match the
// golden .hcl file and pass lbhad's own validator, and the dropped
// options must be exactly the listed file:line entries.
func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		id   string   // keepalived's config id
		want []string // "file:line: what", in report order
	}{
		{name: "conditional", id: "lb1"},
		{name: "migration_dr", id: "lb1"}, // docs/migrating-from-keepalived.md
		{name: "include_sync"},
		{name: "haproxy_smtp"},
		// Two urls on one real server: keepalived needs both to pass, and
		// so does lbhad's http_get with two url blocks.
		{name: "dr_pair"},
		// Every check kind lbhad has, several per real server, and the
		// ones it cannot take: the server is left out, never written
		// with fewer checks (but a FILE_CHECK of an undefined file is
		// dropped by keepalived itself, the server kept).
		{name: "checks", want: []string{
			"testdata/checks.conf:95: real_server 192.0.2.25 80 { ... }",
			"testdata/checks.conf:98: BFD_CHECK { ... }",
			"testdata/checks.conf:103: FILE_CHECK { ... }",
		}},
		// smtp_alert without mail settings sends nothing in keepalived
		// either, and a misc_timeout longer than delay_loop is valid in
		// both, so nothing is lost.
		{name: "nat_sync"},
		// Weighted track_interface entries, init_fail, alpha and omega carry
		// over; a weight out of keepalived's range is a named loss, the
		// interface kept with the plain FAULT rule.
		{name: "track_knobs", want: []string{
			"testdata/track_knobs.conf:34: eth5 weight 300",
		}},
		// Routes, rules and excluded addresses follow the VIPs; an entry
		// with an option lbhad does not carry (a VIP's peer, a route's
		// mtu, a rule without the preference lbhad needs) is a named loss.
		// Sync group tracking is carried to the group, which applies it
		// to every member.
		{name: "sync_track", want: []string{
			"testdata/sync_track.conf:43: eth4 weight -20",
			"testdata/sync_track.conf:44: eth5 weight 10 reverse",
			"testdata/sync_track.conf:48: chk_gw",
			"testdata/sync_track.conf:52: maint",
			"testdata/sync_track.conf:53: spare weight 5",
		}},
		{name: "vroutes", want: []string{
			"testdata/vroutes.conf:11: 192.0.2.51/24 dev eth0 peer 192.0.2.52",
			"testdata/vroutes.conf:22: 192.0.2.128/25 via 192.0.2.254 dev eth0 mtu 1400",
			"testdata/vroutes.conf:27: from 192.0.2.51 table 100",
		}},
		{name: "fidelity", want: []string{
			"testdata/fidelity.conf:19: auth_type AH",
			"testdata/fidelity.conf:20: auth_pass",
			"testdata/fidelity.conf:30: virtual_server 192.0.2.61 443 without protocol",
			"testdata/fidelity.conf:50: regex \"(a)\\1\"",
			"testdata/fidelity.conf:55: real_server 198.51.100.3 443 { ... }",
			"testdata/fidelity.conf:56: BFD_CHECK { ... }",
			"testdata/fidelity.conf:63: lb_algo RR",
			"testdata/fidelity.conf:64: lb_kind dr",
			"testdata/fidelity.conf:67: frobnicate 3",
			"testdata/fidelity.conf:73: vrrp_script chk_empty { ... }",
			"testdata/fidelity.conf:78: vrrp_sync_group G_EMPTY { ... }",
		}},
		{name: "fwmark"},
		// TUN with GUE, GRE and IPIP encapsulations, a sorry server kept
		// at weight 0 and reached by its own method; a gre sorry server
		// and an unknown tunnel type are named losses.
		{name: "tunnels", want: []string{
			"testdata/tunnels.conf:47: sorry_server_lvs_method TUN type gre",
			"testdata/tunnels.conf:56: lvs_method TUN type vxlan",
		}},
		// Server groups, SCTP, ops and scheduler flags.
		{name: "groups", want: []string{
			"testdata/groups.conf:7: fwmark 8 inet",
			"testdata/groups.conf:8: 198.51.100.0/30 80",
			"testdata/groups.conf:9: 192.0.2.30",
			"testdata/groups.conf:20: 2001:db8::50 80",
			"testdata/groups.conf:23: virtual_server_group DROPPED { ... }",
			"testdata/groups.conf:53: virtual_server group NOSUCH { ... }",
			"testdata/groups.conf:59: ops",
			"testdata/groups.conf:62: virtual_server group DROPPED { ... }",
		}},
		// A dual-stack VRRPv3 pair with sub-second adverts, IPv6 unicast
		// peers with TTL bounds and a VRRPv2 instance beside them.
		{name: "vrrpv3"},
		{name: "sync_daemon"},
		// keepalived's lower-priority GARP knobs, global and per instance.
		{name: "garp"},
		{name: "include", want: []string{
			"testdata/include.conf:8: include include.d/missing-*.conf",
		}},
		{name: "unsupported", want: []string{
			"testdata/unsupported.conf:6: vrrp_strict",
			"testdata/unsupported.conf:8: notification_email { ... }",
			"testdata/unsupported.conf:11: smtp_server 192.0.2.25 2525",
			"testdata/unsupported.conf:22: bfd_instance BFD_1 { ... }",
			"testdata/unsupported.conf:33: advert_int 0.5",
			"testdata/unsupported.conf:40: 2001:db8::50/64",
			"testdata/unsupported.conf:50: chk_missing",
			"testdata/unsupported.conf:52: track_bfd { ... }",
			"testdata/unsupported.conf:55: notify_master /etc/keepalived/master.sh root",
			"testdata/unsupported.conf:64: virtual_server group HTTP_GROUP without protocol",
			"testdata/unsupported.conf:70: virtual_server 192.0.2.50 443 without protocol",
			"testdata/unsupported.conf:102: version 2",
			"testdata/unsupported.conf:104: unicast_src_ip 192.0.2.1",
			"testdata/unsupported.conf:107: 192.0.2.2",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join("testdata", tt.name+".conf")
			r, err := ConvertFile(src, Options{ConfigID: tt.id})
			if err != nil {
				t.Fatalf("ConvertFile(%s): %v", src, err)
			}
			out, unsupported := r.HCL, r.Unsupported

			var got, report []string
			for _, u := range unsupported {
				got = append(got, u.File+":"+strconv.Itoa(u.Line)+": "+u.What)
				report = append(report, u.String())
				if u.Why == "" {
					t.Errorf("%s:%d %s: no reason given", u.File, u.Line, u.What)
				}
				// Every dropped option leaves a comment naming its position.
				if !strings.Contains(string(out), "not converted ("+u.File+":"+strconv.Itoa(u.Line)+")") && !strings.HasPrefix(u.What, "include ") {
					t.Errorf("no comment in the output for %s:%d %s", u.File, u.Line, u.What)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unsupported options (-want +got):\n%s", diff)
			}

			golden(t, filepath.Join("testdata", tt.name+".hcl"), out)
			golden(t, filepath.Join("testdata", tt.name+".unsupported"), []byte(strings.Join(report, "\n")+"\n"))

			cfg, diags := config.Parse(out, tt.name+".hcl")
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Errorf("converted output fails validation: %s", d.Error())
				}
			}
			if cfg == nil {
				t.Fatal("config.Parse returned no config")
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; refresh with -update):\n%s", path, diff)
	}
}

// Every statement of every test file is explained: carried (with how)
// or lost (with why), and every loss in Unsupported is among them.
func TestExplainCoversEveryStatement(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "loop_") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := ConvertFile(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			explained := map[string]bool{}
			for _, e := range r.Explain {
				if e.How == "" {
					t.Errorf("%s: no explanation", e)
				}
				explained[e.File+":"+strconv.Itoa(e.Line)] = true
			}
			nodes, _, err := parseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var walk func([]*node)
			walk = func(ns []*node) {
				for _, n := range ns {
					if !explained[n.Pos()] {
						t.Errorf("%s: %s is not explained", n.Pos(), n.Text())
					}
					walk(n.Children)
				}
			}
			walk(nodes)
			for _, u := range r.Unsupported {
				if !explained[u.File+":"+strconv.Itoa(u.Line)] {
					t.Errorf("loss %s is not explained", u)
				}
			}
		})
	}
}

// A statement no handler looks at (here, a block nested in a list
// entry) is still reported lost: the converter fails closed where it
// has a gap.
func TestAuditReportsUnexamined(t *testing.T) {
	nodes, _, err := parseBytes([]byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n unicast_peer {\n  192.0.2.2 {\n   surprise 1\n  }\n }\n}\n"), "k.conf")
	if err != nil {
		t.Fatal(err)
	}
	c := newConverter("k.conf", Options{})
	out := c.convert(nodes)
	var got []string
	for _, u := range c.unsupported {
		got = append(got, u.File+":"+strconv.Itoa(u.Line)+": "+u.What)
	}
	want := []string{"k.conf:6: surprise 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("losses (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(out), "not converted (k.conf:6)") {
		t.Errorf("no comment for the unexamined statement in:\n%s", out)
	}
}

// Counts: what the keepalived file holds and what was written differ
// exactly by the real servers and checks reported lost.
func TestCounts(t *testing.T) {
	r, err := ConvertFile(filepath.Join("testdata", "fidelity.conf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Counts{Instances: 1, VirtualServers: 2, RealServers: 4, Checks: 4}, r.Source); diff != "" {
		t.Errorf("source counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Counts{Instances: 1, VirtualServers: 2, RealServers: 3, Checks: 3}, r.Written); diff != "" {
		t.Errorf("written counts (-want +got):\n%s", diff)
	}
}

// --explain goes to terminals and logs: the VRRP password is not in it.
func TestExplainMasksAuthPass(t *testing.T) {
	for _, f := range []string{"migration_dr.conf", "fidelity.conf"} {
		r, err := ConvertFile(filepath.Join("testdata", f), Options{ConfigID: "lb1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Explain {
			if strings.Contains(e.String(), "s3cretpw") || strings.Contains(e.String(), "secret") {
				t.Errorf("%s: password in explanation %q", f, e)
			}
		}
		for _, u := range r.Unsupported {
			if strings.Contains(u.String(), "s3cretpw") || strings.Contains(u.String(), "secret") {
				t.Errorf("%s: password in loss %q", f, u)
			}
		}
	}
}

// Malformed forms of the newly carried keywords: each is a named loss
// (the converter fails closed) and never a crash or an invalid file.
func TestNewKeywordsMalformed(t *testing.T) {
	tests := []struct{ name, src, lost string }{
		{"file_check without name", "track_file f {\n file /x\n}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.2 80 {\n  FILE_CHECK {\n   track_file\n  }\n }\n}\n", "k.conf:7: FILE_CHECK { ... }"},
		{"file_check two files", "track_file f {\n file /x\n}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.2 80 {\n  FILE_CHECK {\n   track_file f\n   track_file\n  }\n }\n}\n", "k.conf:9: track_file"},
		{"file_check bad weight", "track_file f {\n file /x\n}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.2 80 {\n  FILE_CHECK {\n   track_file f\n   weight 3 sideways\n  }\n }\n}\n", "k.conf:9: weight 3 sideways"},
		{"smtp host not a block", "virtual_server 192.0.2.1 25 {\n protocol TCP\n real_server 192.0.2.2 25 {\n  SMTP_CHECK {\n   host\n  }\n }\n}\n", "k.conf:5: host"},
		{"dns bad type", "virtual_server 192.0.2.1 53 {\n protocol UDP\n real_server 192.0.2.2 53 {\n  DNS_CHECK {\n   type PTR\n  }\n }\n}\n", "k.conf:5: type PTR"},
		{"udp payload empty", "virtual_server 192.0.2.1 53 {\n protocol UDP\n real_server 192.0.2.2 53 {\n  UDP_CHECK {\n   payload\n  }\n }\n}\n", "k.conf:5: payload"},
		{"group entry with words", "virtual_server_group G {\n 192.0.2.1 80 extra\n 192.0.2.2 80\n}\nvirtual_server group G {\n protocol TCP\n}\n", "k.conf:2: 192.0.2.1 80 extra"},
		{"group range backwards", "virtual_server_group G {\n 192.0.2.9-3 80\n 192.0.2.2 80\n}\nvirtual_server group G {\n protocol TCP\n}\n", "k.conf:2: 192.0.2.9-3 80"},
		{"group bad fwmark", "virtual_server_group G {\n fwmark 0\n 192.0.2.2 80\n}\nvirtual_server group G {\n protocol TCP\n}\n", "k.conf:2: fwmark 0"},
		{"ops with value", "virtual_server 192.0.2.1 53 {\n protocol UDP\n ops yes\n}\n", "k.conf:3: ops yes"},
		{"flag with value", "virtual_server 192.0.2.1 80 {\n protocol TCP\n lb_algo sh\n sh-port 1\n}\n", "k.conf:4: sh-port 1"},
		{"peer bad ttl", "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n unicast_peer {\n  192.0.2.2 min_ttl 300\n }\n virtual_ipaddress {\n  192.0.2.9\n }\n}\n", "k.conf:5: 192.0.2.2 min_ttl 300"},
		{"v3 advert above 40.95", "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n version 3\n advert_int 60\n virtual_ipaddress {\n  192.0.2.9\n }\n}\n", "k.conf:5: advert_int 60"},
		{"gue without port", "virtual_server 192.0.2.1 80 {\n protocol TCP\n lvs_method TUN type gue\n}\n", "k.conf:3: lvs_method TUN type gue"},
		{"ipip with csum", "virtual_server 192.0.2.1 80 {\n protocol TCP\n lvs_method TUN type ipip csum\n}\n", "k.conf:3: lvs_method TUN type ipip csum"},
		{"gre remcsum", "virtual_server 192.0.2.1 80 {\n protocol TCP\n lvs_method TUN type gre remcsum\n}\n", "k.conf:3: lvs_method TUN type gre remcsum"},
		{"ha_suspend on a mark", "virtual_server fwmark 7 {\n ha_suspend\n real_server 192.0.2.2 80 {\n }\n}\n", "k.conf:2: ha_suspend"},
		{"sorry method lower case", "virtual_server 192.0.2.1 80 {\n protocol TCP\n sorry_server 192.0.2.9 80\n sorry_server_lvs_method dr\n}\n", "k.conf:4: sorry_server_lvs_method dr"},
		{"v3 advert out of range", "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n version 3\n advert_int 0.005\n virtual_ipaddress {\n  192.0.2.9\n }\n}\n", "k.conf:5: advert_int 0.005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, _, err := parseBytes([]byte(tt.src), "k.conf")
			if err != nil {
				t.Fatal(err)
			}
			c := newConverter("k.conf", Options{})
			out := c.convert(nodes)
			var got []string
			for _, u := range c.unsupported {
				got = append(got, u.File+":"+strconv.Itoa(u.Line)+": "+u.What)
			}
			if !slices.Contains(got, tt.lost) {
				t.Errorf("losses %q do not name %q", got, tt.lost)
			}
			cfg, diags := config.Parse(out, "k.hcl")
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Errorf("converted output fails validation: %s\n%s", d.Error(), out)
				}
			}
			if cfg == nil {
				t.Fatal("config.Parse returned no config")
			}
		})
	}
}
