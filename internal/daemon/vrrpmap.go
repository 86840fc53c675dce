package daemon

import (
	"net/netip"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

// vrrpConfig maps the validated config onto the VRRP router's own
// config. An instance without unicast_src_ip gets no SrcAddr: the
// router finds its interface's primary address each time it opens the
// interface, and an instance whose interface is missing or has no
// address waits there, alone, with the reason in its status.
func vrrpConfig(cfg *config.Config) vrrp.Config {
	var out vrrp.Config
	for _, in := range cfg.Instances {
		ic := vrrp.InstanceConfig{
			Name:              in.Name,
			Interface:         in.Interface,
			VRID:              in.VRID,
			Priority:          in.Priority,
			AdvertInterval:    in.AdvertInterval,
			Version:           vrrpVersion(in.Version),
			IPv6:              in.IPv6,
			Nopreempt:         in.Nopreempt,
			PreemptDelay:      in.PreemptDelay,
			AuthType:          vrrp.AuthNone,
			SrcAddr:           in.UnicastSrcIP,
			UnicastPeers:      in.UnicastPeers,
			TrackInterfaces:   in.TrackInterfaces,
			GARPMasterDelay:   in.GARPMasterDelay,
			GARPMasterRepeat:  in.GARPMasterRepeat,
			GARPMasterRefresh: in.GARPMasterRefresh,

			GARPRefreshRepeat:   in.GARPMasterRefreshRepeat,
			GARPLowerPrioRepeat: in.GARPLowerPrioRepeat,
			GARPLowerPrioDelay:  in.GARPLowerPrioDelay,
		}
		if in.AuthType == config.AuthPass {
			ic.AuthType = vrrp.AuthSimple
			ic.AuthPass = in.AuthPass
		}
		for a, r := range in.UnicastPeerTTL {
			if ic.PeerTTL == nil {
				ic.PeerTTL = map[netip.Addr]vrrp.TTLBounds{}
			}
			ic.PeerTTL[a] = vrrp.TTLBounds{Min: r.Min, Max: r.Max}
		}
		for _, v := range in.VIPs {
			ic.VIPs = append(ic.VIPs, vipAddr(v))
		}
		for _, v := range in.ExcludedVIPs {
			ic.ExcludedVIPs = append(ic.ExcludedVIPs, vipAddr(v))
		}
		ic.VirtualRoutes, ic.VirtualRules = virtualRoutes(in)
		ic.SkipCheckAdvAddr = in.SkipCheckAdvAddr
		for _, ti := range in.TrackInterfaceWeights {
			ic.WeightedInterfaces = append(ic.WeightedInterfaces, vrrp.TrackInterface{Name: ti.Name, Weight: ti.Weight, Reverse: ti.Reverse})
		}
		for _, ts := range in.TrackScripts {
			ic.TrackScripts = append(ic.TrackScripts, vrrp.TrackScript{Name: ts.Name, Weight: ts.Weight, Reverse: ts.Reverse})
		}
		for _, tf := range in.TrackFiles {
			ic.TrackFiles = append(ic.TrackFiles, vrrp.TrackFile{Name: tf.Name, Weight: tf.Weight, Reverse: tf.Reverse})
		}
		vmacInstance(in, &ic)
		out.Instances = append(out.Instances, ic)
	}
	for _, g := range cfg.SyncGroups {
		out.SyncGroups = append(out.SyncGroups, vrrp.SyncGroupConfig{Name: g.Name, Members: g.Group})
	}
	out.GARPInterval, out.GNAInterval = cfg.Global.GARP.Interval, cfg.Global.GARP.NAInterval
	for _, vs := range cfg.VirtualServers {
		out.ServiceAddrs = append(out.ServiceAddrs, config.ServiceAddrs(vs)...)
	}
	return out
}

// vrrpVersion maps config's VRRP version onto vrrp's constants by name.
func vrrpVersion(v uint8) uint8 {
	if v == 3 {
		return vrrp.Version3
	}
	return vrrp.Version
}

// optsKey names the transport of an interface and family: the interface
// for IPv4, "NAME/ipv6" for IPv6 (an interface may carry both).
func optsKey(ifname string, v6 bool) string {
	if v6 {
		return ifname + "/ipv6"
	}
	return ifname
}

// transportOptions gathers, per interface and family, what its one
// shared socket must know: the family, the unicast source and the union
// of the unicast peers of every instance on it.
func transportOptions(vc vrrp.Config) map[string]vrrp.TransportOptions {
	opts := map[string]vrrp.TransportOptions{}
	for _, in := range vc.Instances {
		key := optsKey(in.Interface, in.IPv6)
		o := opts[key]
		o.IPv6 = in.IPv6
		if len(in.UnicastPeers) > 0 {
			o.SrcIP = in.SrcAddr
			for _, p := range in.UnicastPeers {
				if !containsAddr(o.UnicastPeers, p) {
					o.UnicastPeers = append(o.UnicastPeers, p)
				}
			}
		}
		opts[key] = o
	}
	return opts
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}
