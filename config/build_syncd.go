package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// rawLVSSyncDaemon is global { lvs_sync_daemon { ... } }.
type rawLVSSyncDaemon struct {
	Interface  hcl.Expression `hcl:"interface"`
	Instance   hcl.Expression `hcl:"instance,optional"`
	SyncID     hcl.Expression `hcl:"syncid,optional"`
	SyncMaxLen hcl.Expression `hcl:"sync_maxlen,optional"`
	McastGroup hcl.Expression `hcl:"mcast_group,optional"`
	McastPort  hcl.Expression `hcl:"mcast_port,optional"`
	McastTTL   hcl.Expression `hcl:"mcast_ttl,optional"`
	DefRange   hcl.Range      `hcl:",def_range"`
}

// maxSyncLen is the largest UDP payload of an IPv4 datagram; the kernel
// also caps sync_maxlen at the interface MTU.
const maxSyncLen = 65507

// lvsSyncDaemon builds the lvs_sync_daemon block. It runs after the
// instances are built because the daemon follows one of them: the named
// one, or else the first instance on the sync interface, as keepalived's
// lvs_sync_daemon names an instance too.
func (b *builder) lvsSyncDaemon(g *rawGlobal, cfg *Config) {
	if g == nil || g.LVSSyncDaemon == nil {
		return
	}
	r := g.LVSSyncDaemon
	d := &LVSSyncDaemon{Range: r.DefRange}
	b.require(r.Interface, "interface")
	if s, ok := b.str(r.Interface, "interface"); ok {
		if !validIfName(s) {
			b.errorf(r.Interface.Range(), "Invalid interface", "interface must be a network interface name of 1 to 15 characters without spaces or slashes; %q is not.", s)
		}
		d.Interface = s
	}
	var names []string
	for _, in := range cfg.Instances {
		names = append(names, in.Name)
	}
	var followed *Instance
	if name, ok := b.str(r.Instance, "instance"); ok {
		for _, in := range cfg.Instances {
			if in.Name == name {
				followed = in
			}
		}
		if followed == nil {
			b.errorf(r.Instance.Range(), "Unknown vrrp_instance", "instance must name the vrrp_instance the sync daemon follows; %q is not defined. Defined: %s.", name, nameList(names))
		}
	} else if d.Interface != "" {
		for _, in := range cfg.Instances {
			if in.Interface == d.Interface {
				followed = in
				break
			}
		}
		if followed == nil {
			b.errorf(r.DefRange, "Missing instance", "lvs_sync_daemon follows a VRRP instance: no vrrp_instance runs on interface %s, so set instance to one of %s.", d.Interface, nameList(names))
		}
	}
	if followed != nil {
		d.Instance, d.SyncID = followed.Name, followed.VRID
	}
	if n, ok := b.integer(r.SyncID, "syncid", 0, 255); ok {
		d.SyncID = uint8(n)
	}
	if n, ok := b.integer(r.SyncMaxLen, "sync_maxlen", 1, maxSyncLen); ok {
		d.MaxLen = uint16(n)
	}
	if a, ok := b.addr(r.McastGroup, "mcast_group", false); ok {
		if !a.IsMulticast() {
			b.errorf(r.McastGroup.Range(), "Invalid mcast_group", "mcast_group must be a multicast address such as 224.0.0.81 or ff02::81; %s is not.", a)
		} else {
			d.Group = a
		}
	}
	if n, ok := b.integer(r.McastPort, "mcast_port", 1, 65535); ok {
		d.Port = uint16(n)
	}
	if n, ok := b.integer(r.McastTTL, "mcast_ttl", 1, 255); ok {
		d.TTL = uint8(n)
	}
	cfg.Global.LVSSyncDaemon = d
}

// String is the daemon as ipvsadm's --start-daemon arguments, for logs.
func (d *LVSSyncDaemon) String() string {
	return fmt.Sprintf("interface=%s instance=%s syncid=%d", d.Interface, d.Instance, d.SyncID)
}
