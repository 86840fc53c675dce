package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func TestCheckConfig(t *testing.T) {
	ok := InstanceConfig{Name: "VI_1", Interface: "eth0", VRID: 51, Priority: 100, AdvertInterval: time.Second, SrcAddr: netip.MustParseAddr("192.0.2.1")}
	many := ok
	for i := range MaxAddresses + 1 {
		many.VIPs = append(many.VIPs, VIPAddr{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), 32)})
	}
	if err := CheckConfig(Config{Instances: []InstanceConfig{ok}}); err != nil {
		t.Errorf("valid config: %v", err)
	}
	if err := CheckConfig(Config{Instances: []InstanceConfig{many}}); err == nil {
		t.Errorf("%d VIPs accepted", len(many.VIPs))
	}
}
