package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must
// return a Config exactly when there is no error, and every diagnostic
// must carry a position in the parsed file.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*.hcl", "testdata/bad/*.hcl", "../examples/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Parse(src, "fuzz.hcl")
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("HasErrors=%v but cfg nil=%v", diags.HasErrors(), cfg == nil)
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename != "fuzz.hcl" {
				t.Fatalf("diagnostic without a position in fuzz.hcl: %s: %s (%v)", d.Summary, d.Detail, d.Subject)
			}
		}
	})
}

// TestTrickyValues holds inputs that stress the evaluator's edge cases
// (nulls inside collections, huge numbers, wrong shapes); each must give
// an error diagnostic with a position, never a panic or a Config.
func TestTrickyValues(t *testing.T) {
	vs := func(attr string) string {
		return "virtual_server \"v\" {\n  address = \"192.0.2.1:80\"\n  real_server \"r\" {\n    address = \"192.0.2.2:80\"\n    http_get {\n      " + attr + "\n    }\n  }\n}\n"
	}
	in := func(attr string) string {
		return "vrrp_instance \"i\" {\n  interface = \"eth0\"\n  virtual_router_id = 1\n  " + attr + "\n}\n"
	}
	for name, src := range map[string]string{
		"huge priority":      in("priority = 1e400"),
		"negative zero vrid": "vrrp_instance \"i\" {\n  interface = \"eth0\"\n  virtual_router_id = -0.0\n}\n",
		"null vip":           in("virtual_ipaddress = [null]"),
		"nested vip list":    in(`virtual_ipaddress = [["192.0.2.9"]]`),
		"vip object":         in(`virtual_ipaddress = {a = "192.0.2.9"}`),
		"function call":      in(`priority = max(1, 2)`),
		"template var":       in(`notify = "${x}"`),
		"for expression":     in(`unicast_peer = [for p in ["a"] : p]`),
		"division by zero":   in(`priority = 1 / 0`),
		"null status":        vs("status_code = [null]"),
		"empty status":       vs("status_code = []"),
		"object status":      vs("status_code = {}"),
		"bool status":        vs("status_code = [true]"),
		"huge status":        vs("status_code = 1e400"),
		"huge delay":         vs("delay_loop = 1e400"),
		"tiny delay":         vs(`delay_loop = "1ns"` + "\n      timeout = 1"),
		"null email to":      "global {\n  notification {\n    email {\n      server = \"s\"\n      from = \"a@b.c\"\n      to = [null]\n    }\n  }\n}\n",
		"null header":        "global {\n  notification {\n    webhook \"w\" {\n      url = \"http://x/\"\n      headers = {a = null}\n    }\n  }\n}\n",
		"label only block":   "vrrp_instance \"a\" \"b\" {\n}\n",
		"attribute as block": "global {\n  router_id {\n  }\n}\n",
		"block as attribute": "global = 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg, diags := Parse([]byte(src), "t.hcl")
			if cfg != nil || !diags.HasErrors() {
				t.Fatalf("want an error, got cfg=%v diags:\n%s", cfg != nil, formatDiags(diags))
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "t.hcl" {
					t.Errorf("diagnostic without position: %s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}
