package daemon

import (
	"net/netip"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

// vmacGate is the name of the hidden weight-0 track script that holds an
// instance in Fault while its VMAC is not ready (missing, being
// re-created, or its name taken by an interface that is not ours): the
// instance never speaks or holds VIPs on an interface lbhad did not
// make. The space keeps it apart from vrrp_script names in practice.
func vmacGate(name string) string { return "use_vmac " + name }

// vmacPlan lists the VMACs the config wants, one per instance with
// use_vmac.
func vmacPlan(cfg *config.Config) []vrrp.VMAC {
	var out []vrrp.VMAC
	for _, in := range cfg.Instances {
		if in.VMAC != "" {
			out = append(out, vrrp.VMAC{Name: in.VMAC, Parent: in.Interface, MAC: vrrp.VirtualMAC(in.VRID, in.IPv6)})
		}
	}
	return out
}

// vmacInstance moves ic onto its VMAC as keepalived does: adverts go
// out and come in on the VMAC (on the base interface with
// vmac_xmit_base), the VMAC and the base are both watched, and the gate
// script holds the instance in Fault until the VMAC is ready.
func vmacInstance(in *config.Instance, ic *vrrp.InstanceConfig) {
	if in.VMAC == "" {
		return
	}
	watch := in.Interface
	if !in.VMACXmitBase {
		ic.Interface = in.VMAC
	} else {
		watch = in.VMAC
	}
	ic.TrackInterfaces = append(append([]string(nil), ic.TrackInterfaces...), watch)
	ic.TrackScripts = append(ic.TrackScripts, vrrp.TrackScript{Name: vmacGate(in.VMAC), Weight: 0})
}

// vmacParents maps each VMAC that carries adverts to its base
// interface, whose primary address is the adverts' source: the VMAC
// has no address of its own but the VIPs.
func vmacParents(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, in := range cfg.Instances {
		if in.VMAC != "" && !in.VMACXmitBase {
			out[in.VMAC] = in.Interface
		}
	}
	return out
}

// primaryAddr finds an interface's primary IPv4 address, a VMAC's
// being its base interface's.
func (c *vrrpComponent) primaryAddr(ifname string) (netip.Addr, error) {
	c.optsMu.Lock()
	if base, ok := c.vmacBase[ifname]; ok {
		ifname = base
	}
	c.optsMu.Unlock()
	return vrrp.PrimaryIPv4(ifname)
}

// applyVMACsLocked makes the VMACs of cfg exist (deleting those no
// longer wanted) before the router opens them, and passes each one's
// readiness to the router through its gate.
func (c *vrrpComponent) applyVMACsLocked(cfg *config.Config) map[string]bool {
	plan := vmacPlan(cfg)
	c.optsMu.Lock()
	c.vmacBase = vmacParents(cfg)
	c.optsMu.Unlock()
	if len(plan) == 0 && c.vmacs == nil {
		return nil
	}
	if c.vmacs == nil {
		c.vmacs = vrrp.NewVMACManager(vrrp.NewNetlinkVMACs(), vrrp.NewLinkWatcher(c.base), c.base, func(name string, ok bool) {
			c.SetTrackScript(vmacGate(name), ok)
		})
	}
	ready, err := c.vmacs.Set(plan)
	if err != nil {
		c.log.Warn("vmac interfaces not all ready; their instances wait in fault", zap.Error(err))
	}
	for name, ok := range ready {
		c.scripts[vmacGate(name)] = ok
	}
	return ready
}
