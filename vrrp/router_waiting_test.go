package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/lbhad/lbhad/internal/clock"
)

// Waiting says what Status says of waiting instances, and counts what
// Status lists: the daemon's STATUS= line reads it instead of Status.
func TestRouterWaitingAgreesWithStatus(t *testing.T) {
	src := netip.MustParseAddr("192.0.2.1")
	cfg := Config{Instances: []InstanceConfig{
		inst("VI_1", "eth0", 1, 100), inst("VI_2", "late0", 2, 100), inst("VI_3", "eth0", 3, 100),
	}}
	for i := range cfg.Instances {
		cfg.Instances[i].SrcAddr = src
	}
	r, err := NewRouter(cfg, Deps{
		OpenTransport: func(ifname string) (Transport, error) {
			if ifname == "late0" {
				return nil, errors.New("interface late0 not found")
			}
			return &sinkTransport{}, nil
		},
		Addrs: nopAddrs{},
		Clock: clock.NewFake(t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, w := r.Waiting(); n != 0 || w != nil {
		t.Errorf("before Run: Waiting() = %d, %q; want none", n, w)
	}
	if err := r.open(); err != nil {
		t.Fatal(err)
	}
	var want []string
	st := r.Status()
	for _, s := range st {
		if s.Waiting != "" {
			want = append(want, s.Name+" ("+s.Waiting+")")
		}
	}
	n, got := r.Waiting()
	if n != len(st) || !slices.Equal(got, want) || len(got) != 1 {
		t.Errorf("Waiting() = %d, %q; Status lists %d with waiting %q (want exactly VI_2)", n, got, len(st), want)
	}
}
