package vrrp

import (
	"errors"
	"net/netip"
	"testing"
)

func TestValidateVIP(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.50/24")
	tests := []struct {
		name string
		v    VIPAddr
		want error
	}{
		{"no label", VIPAddr{Prefix: p, Dev: "eth0"}, nil},
		{"label", VIPAddr{Prefix: p, Dev: "eth0", Label: "eth0:vip"}, nil},
		{"label equal to dev", VIPAddr{Prefix: p, Dev: "eth0", Label: "eth0"}, nil},
		{"label 15 bytes", VIPAddr{Prefix: p, Dev: "eth0", Label: "eth0:0123456789"}, nil},
		{"label 16 bytes", VIPAddr{Prefix: p, Dev: "eth0", Label: "eth0:01234567890"}, ErrVIPLabel},
		{"label of other dev", VIPAddr{Prefix: p, Dev: "eth0", Label: "eth1:vip"}, ErrVIPLabel},
		{"bare label", VIPAddr{Prefix: p, Dev: "eth0", Label: "vip"}, ErrVIPLabel},
		{"ipv6", VIPAddr{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Dev: "eth0"}, nil},
		{"ipv6 with label", VIPAddr{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Dev: "eth0", Label: "eth0:v6"}, ErrVIPLabel},
		{"ipv4 as ipv6", VIPAddr{Prefix: netip.MustParsePrefix("::ffff:192.0.2.50/120"), Dev: "eth0"}, ErrVIPNotIPv4},
		{"zero prefix", VIPAddr{Dev: "eth0"}, ErrVIPNotIPv4},
		{"no dev", VIPAddr{Prefix: p}, ErrVIPNoDev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validateVIP(tt.v); !errors.Is(err, tt.want) {
				t.Errorf("validateVIP = %v, want %v", err, tt.want)
			}
		})
	}
}
