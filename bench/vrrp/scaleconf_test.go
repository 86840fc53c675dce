package vrrpbench

import (
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/config"
)

// TestScaleConf checks the many-instance configs without root: lbhad's
// parses with package config into one instance per link and VRID, each
// with its own VIP on its own link, and keepalived's has as many
// instances. A config lbhad rejected would otherwise surface only as a
// daemon that exits in the middle of a benchmark run.
func TestScaleConf(t *testing.T) {
	o := Config{Links: 2, PerLink: 3}
	c, diags := config.Parse([]byte(scaleConf("lbhad", "d1", "/run/x.sock", o, 150)), "scale.hcl")
	if diags.HasErrors() {
		t.Fatalf("lbhad config rejected: %v", diags)
	}
	if len(c.Instances) != 6 {
		t.Fatalf("%d instances, want 6", len(c.Instances))
	}
	vips := map[string]bool{}
	for _, in := range c.Instances {
		if in.Priority != 150 || in.AdvertInterval != time.Second || len(in.VIPs) != 1 {
			t.Errorf("%s: priority %d, advert %v, %d VIPs; want 150, 1s, 1", in.Name, in.Priority, in.AdvertInterval, len(in.VIPs))
			continue
		}
		v := in.VIPs[0].Prefix.String()
		if vips[v] {
			t.Errorf("VIP %s twice", v)
		}
		vips[v] = true
		if !benchNet.Contains(in.VIPs[0].Prefix.Addr()) {
			t.Errorf("%s: VIP %s outside %v, which countVIPs counts", in.Name, v, benchNet)
		}
	}
	if k := scaleConf("keepalived", "d1", "", o, 100); strings.Count(k, "vrrp_instance ") != 6 || strings.Count(k, "priority 100\n") != 6 {
		t.Errorf("keepalived config:\n%s", k)
	}
}

// TestScaleConfV3: with ScaleAdvert both daemons' configs run VRRPv3 at
// that interval, and lbhad's parses to it.
func TestScaleConfV3(t *testing.T) {
	o := Config{Links: 1, PerLink: 2, ScaleAdvert: 100 * time.Millisecond}
	c, diags := config.Parse([]byte(scaleConf("lbhad", "d1", "/run/x.sock", o, 150)), "scale.hcl")
	if diags.HasErrors() {
		t.Fatalf("lbhad config rejected: %v", diags)
	}
	for _, in := range c.Instances {
		if in.Version != 3 || in.AdvertInterval != 100*time.Millisecond {
			t.Errorf("%s: version %d, advert %v; want 3, 100ms", in.Name, in.Version, in.AdvertInterval)
		}
	}
	if k := scaleConf("keepalived", "d1", "", o, 100); strings.Count(k, "advert_int 0.1\n  version 3\n") != 2 {
		t.Errorf("keepalived config:\n%s", k)
	}
}
