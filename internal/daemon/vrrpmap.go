package daemon

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

// vrrpConfig maps the validated config onto the VRRP router's own
// config. srcOf finds an interface's primary IPv4 address, used when an
// instance names no unicast_src_ip: it is the advert source and the
// tie-breaker, so an instance cannot run without one. An instance whose
// interface is missing or has no address yet is left out (with the
// other members of its sync group, which move together), and the error
// says which: the others must run regardless, and the caller retries.
func vrrpConfig(cfg *config.Config, srcOf func(ifname string) (netip.Addr, error)) (vrrp.Config, error) {
	var out vrrp.Config
	srcs := map[string]netip.Addr{}
	skip := map[string]bool{}
	var errs []error
	for _, in := range cfg.Instances {
		src := in.UnicastSrcIP
		if !src.IsValid() {
			a, err := srcOf(in.Interface)
			if err != nil {
				errs = append(errs, fmt.Errorf("vrrp instance %s: source address of %s: %w", in.Name, in.Interface, err))
				skip[in.Name] = true
				continue
			}
			src = a
		}
		srcs[in.Name] = src
	}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Group {
			if skip[m] {
				for _, other := range g.Group {
					skip[other] = true
				}
				break
			}
		}
	}
	for _, in := range cfg.Instances {
		if skip[in.Name] {
			continue
		}
		src := srcs[in.Name]
		ic := vrrp.InstanceConfig{
			Name:              in.Name,
			Interface:         in.Interface,
			VRID:              in.VRID,
			Priority:          in.Priority,
			AdvertInterval:    in.AdvertInterval,
			Nopreempt:         in.Nopreempt,
			PreemptDelay:      in.PreemptDelay,
			AuthType:          vrrp.AuthNone,
			SrcAddr:           src,
			UnicastPeers:      in.UnicastPeers,
			TrackInterfaces:   in.TrackInterfaces,
			GARPMasterDelay:   in.GARPMasterDelay,
			GARPMasterRepeat:  in.GARPMasterRepeat,
			GARPMasterRefresh: in.GARPMasterRefresh,
		}
		if in.AuthType == config.AuthPass {
			ic.AuthType = vrrp.AuthSimple
			ic.AuthPass = in.AuthPass
		}
		for _, v := range in.VIPs {
			ic.VIPs = append(ic.VIPs, vrrp.VIPAddr{Prefix: v.Prefix, Dev: v.Dev, Label: v.Label})
		}
		for _, ts := range in.TrackScripts {
			ic.TrackScripts = append(ic.TrackScripts, vrrp.TrackScript{Name: ts.Name, Weight: ts.Weight})
		}
		for _, tf := range in.TrackFiles {
			ic.TrackFiles = append(ic.TrackFiles, vrrp.TrackFile{Name: tf.Name, Weight: tf.Weight})
		}
		out.Instances = append(out.Instances, ic)
	}
	for _, g := range cfg.SyncGroups {
		if len(g.Group) > 0 && skip[g.Group[0]] {
			continue
		}
		out.SyncGroups = append(out.SyncGroups, vrrp.SyncGroupConfig{Name: g.Name, Members: g.Group})
	}
	return out, errors.Join(errs...)
}

// transportOptions gathers, per interface, what its one shared socket
// must know: the unicast source and the union of the unicast peers of
// every instance on it.
func transportOptions(vc vrrp.Config) map[string]vrrp.TransportOptions {
	opts := map[string]vrrp.TransportOptions{}
	for _, in := range vc.Instances {
		o := opts[in.Interface]
		if len(in.UnicastPeers) > 0 {
			o.SrcIP = in.SrcAddr
			for _, p := range in.UnicastPeers {
				if !containsAddr(o.UnicastPeers, p) {
					o.UnicastPeers = append(o.UnicastPeers, p)
				}
			}
		}
		opts[in.Interface] = o
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
