package control

import "testing"

// The TCP MD5 key of a BGP neighbor never leaves in a dump, and the
// running config keeps it.
func TestRedactBGPPassword(t *testing.T) {
	cfg := mustParse(`
bgp {
  asn       = 64512
  router_id = "192.0.2.1"
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
    password   = "MD5key-5e1f"
  }
}
`)
	got := RedactConfig(cfg)
	if p := got.BGP.Neighbors[0].Password; p != Redacted {
		t.Errorf("dump password = %q, want %q", p, Redacted)
	}
	if p := cfg.BGP.Neighbors[0].Password; p != "MD5key-5e1f" {
		t.Errorf("running config lost its key: %q", p)
	}
}
