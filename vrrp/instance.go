package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// InstanceConfig configures one virtual router (keepalived
// "vrrp_instance"). The daemon maps its config.Instance onto it.
type InstanceConfig struct {
	Name      string
	Interface string
	VRID      uint8
	// Priority is the base priority, 1..255 (255: address owner).
	Priority uint8
	// AdvertInterval is a whole number of seconds, 1..255 s, in VRRPv2,
	// and a whole number of centiseconds, 10 ms..40.95 s, in VRRPv3.
	AdvertInterval time.Duration
	// Version is Version3 for VRRPv3 (RFC 5798); 0 or Version is VRRPv2.
	Version uint8
	// IPv6 makes the instance an IPv6 one (VRRPv3 only): its VIPs,
	// source and peers are IPv6 and it runs on the interface's IPv6
	// transport. An instance is of one family, as in keepalived.
	IPv6         bool
	Nopreempt    bool
	PreemptDelay time.Duration
	// AuthType is AuthNone or AuthSimple; AuthPass (at most 8 bytes) is
	// the simple-text password.
	AuthType uint8
	AuthPass string
	// SrcAddr is the address adverts carry as source (unicast_src_ip);
	// it breaks priority ties. Invalid means the primary IPv4 address of
	// Interface, which the Router looks up through Deps.PrimaryAddr each
	// time it opens the interface, so the instance follows a change.
	SrcAddr netip.Addr
	// UnicastPeers, when set, receive the adverts instead of 224.0.0.18
	// (ff02::12).
	UnicastPeers []netip.Addr
	// PeerTTL bounds the TTL (hop limit) accepted from some of the
	// UnicastPeers; other peers' adverts are accepted at any TTL, as
	// keepalived does in unicast mode.
	PeerTTL map[netip.Addr]TTLBounds
	// VIPs are of the instance's family; an empty Dev means Interface.
	VIPs []VIPAddr
	// ExcludedVIPs (keepalived's virtual_ipaddress_excluded) are added
	// and removed with the VIPs but left out of adverts, and so out of
	// the address check a peer makes; they may be of either family.
	ExcludedVIPs []VIPAddr
	// VirtualRoutes and VirtualRules follow the VIPs (see routes.go).
	VirtualRoutes []VRoute
	VirtualRules  []VRule
	// SkipCheckAdvAddr is keepalived's skip_check_adv_addr: in Backup,
	// an advert from the source of the last advert accepted there is
	// not checked against VIPs, so a master whose VIP list was just
	// changed keeps its backups. Adverts from any other source, and
	// every advert in Master, are checked.
	SkipCheckAdvAddr bool
	// TrackInterfaces put the instance in Fault while any is down. The
	// instance's own Interface is always tracked, as in keepalived.
	TrackInterfaces []string
	// WeightedInterfaces move the priority by their weight instead of
	// causing Fault (keepalived's "track_interface { eth1 weight -20 }");
	// each is also listed in TrackInterfaces, so that it is watched.
	WeightedInterfaces []TrackInterface
	TrackScripts       []TrackScript
	TrackFiles         []TrackFile
	// GARPMasterDelay (0: no second burst), GARPMasterRepeat (frames per
	// VIP per burst, at least 1), GARPMasterRefresh (0: off) and
	// GARPRefreshRepeat (frames per VIP per refresh, default 1) follow
	// keepalived's garp_master_* settings.
	GARPMasterDelay   time.Duration
	GARPMasterRepeat  int
	GARPMasterRefresh time.Duration
	GARPRefreshRepeat int
	// GARPLowerPrioRepeat (frames per VIP sent at once when, as master,
	// the instance hears a lower-priority advert; 0: none, and no delayed
	// burst either) and GARPLowerPrioDelay (a second burst this long
	// after the last such advert; 0: none) follow keepalived's
	// garp_lower_prio_* settings. See garpSchedule.
	GARPLowerPrioRepeat int
	GARPLowerPrioDelay  time.Duration
}

// TrackScript binds a named script, whose result comes in through
// Router.SetTrackScript, to an instance with a weight (see
// EffectivePriority).
// TrackInterface is a tracked interface with a weight: a positive weight
// is added while the link is up, a negative one while it is down, and
// Reverse turns the adjustment the other way (weight 0 with Reverse:
// Fault while up), as keepalived's track_interface does.
type TrackInterface struct {
	Name    string
	Weight  int
	Reverse bool
}

type TrackScript struct {
	Name    string
	Weight  int
	Reverse bool // see Track
}

// TrackFile binds a named file, whose number comes in through
// Router.SetTrackFile, to an instance with a weight (see
// EffectivePriority and FileTrack).
type TrackFile struct {
	Name    string
	Weight  int
	Reverse bool // see FileTrack
}

// SyncGroupConfig names instances that change state together.
type SyncGroupConfig struct {
	Name    string
	Members []string // instance names
}

// Config is everything one Router runs.
type Config struct {
	Instances  []InstanceConfig
	SyncGroups []SyncGroupConfig
	// GARPInterval and GNAInterval are the least gap between two
	// gratuitous ARPs, and between two unsolicited NAs, sent on one
	// device (keepalived's vrrp_garp_interval and vrrp_gna_interval);
	// 0 sends a burst back to back.
	GARPInterval time.Duration
	GNAInterval  time.Duration
	// ServiceAddrs are the addresses clients connect to (the virtual
	// servers'). A new master announces its other addresses first: a
	// service address draws traffic the moment it is announced (the old
	// master flushes the packets it queued for it), and the answers to
	// that traffic need the rest, such as a NAT director's inside
	// address, already in the real servers' ARP caches.
	ServiceAddrs []netip.Addr
}

type instance struct {
	// cfg points into the Router's copy of the config's instances
	// (Router.cfg.Instances), one contiguous slice, so the instance holds
	// no second copy of its 392 B config; Reload moves every instance to
	// the new copy.
	cfg    *InstanceConfig
	m      Machine
	link   *link
	expect Expect
	// advert is the template of what the instance sends, built from cfg;
	// the priority is filled in per send from m, the one place the
	// effective priority lives.
	advert   Advertisement
	group    *Group
	ownFault bool
	// garp is the gratuitous ARP / unsolicited NA schedule.
	garp       garpSchedule
	counters   Counters
	lastChange time.Time
	lastReason Reason
	wake       time.Time // earliest of the machine's deadline, garp and the fault timers
	hidx       int       // index in Router.heap, -1 when not in it
	// src is the advert source in use: cfg.SrcAddr or the interface's
	// primary address. started is set once Startup was delivered.
	src     netip.Addr
	started bool
	// lastMaster is the source of the last advert accepted in Backup,
	// for SkipCheckAdvAddr.
	lastMaster netip.Addr
	// faults is nil until the instance first meets a fault (a failed
	// send or VIP add), which most instances never do: 248 B saved on
	// each. See faultState.
	faults *instFaults
	// unsettled: VIPs were added early (EarlyAdder) and not yet waited
	// for; see waitUsableLocked.
	unsettled bool
}

// checkSources refuses an instance without SrcAddr when there is no
// way to find its interface's primary (IPv6: link-local) address.
func checkSources(cfg Config, deps Deps) error {
	for _, c := range cfg.Instances {
		if deps.Routes == nil && len(c.VirtualRoutes)+len(c.VirtualRules) > 0 {
			return fmt.Errorf("vrrp: instance %s: virtual routes or rules but no route manager", c.Name)
		}
	}
	for _, c := range cfg.Instances {
		find := deps.PrimaryAddr
		if c.IPv6 {
			find = deps.PrimaryAddr6
		}
		if !c.SrcAddr.IsValid() && find == nil {
			return fmt.Errorf("vrrp: instance %s: no source address and no way to find one", c.Name)
		}
	}
	return nil
}

// checkVersion checks what depends on the protocol version and the
// address family.
func checkVersion(c InstanceConfig) error {
	v3 := c.Version == Version3
	switch {
	case c.Version != 0 && c.Version != Version && !v3:
		return fmt.Errorf("vrrp: instance %s: version %d unsupported", c.Name, c.Version)
	case !v3 && (c.AdvertInterval < time.Second || c.AdvertInterval > 255*time.Second || c.AdvertInterval%time.Second != 0):
		return fmt.Errorf("vrrp: instance %s: advert interval %v is not 1..255 whole seconds", c.Name, c.AdvertInterval)
	case v3 && (c.AdvertInterval < centisecond || c.AdvertInterval > MaxAdvertIntV3*centisecond || c.AdvertInterval%centisecond != 0):
		return fmt.Errorf("vrrp: instance %s: advert interval %v is not 0.01..40.95 s in whole centiseconds", c.Name, c.AdvertInterval)
	case v3 && c.AuthType != AuthNone:
		return fmt.Errorf("vrrp: instance %s: vrrpv3 has no authentication", c.Name)
	case c.IPv6 && !v3:
		return fmt.Errorf("vrrp: instance %s: ipv6 needs vrrpv3", c.Name)
	case c.SrcAddr.IsValid() && c.SrcAddr.Is4() == c.IPv6:
		return fmt.Errorf("vrrp: instance %s: source address %v is not of the instance's family", c.Name, c.SrcAddr)
	}
	for _, v := range c.VIPs {
		if v.Prefix.Addr().Is4() == c.IPv6 {
			return fmt.Errorf("vrrp: instance %s: vip %v is not of the instance's family", c.Name, v.Prefix)
		}
	}
	for _, p := range c.UnicastPeers {
		if p.Is4() == c.IPv6 {
			return fmt.Errorf("vrrp: instance %s: unicast peer %v is not of the instance's family", c.Name, p)
		}
	}
	return nil
}

const centisecond = 10 * time.Millisecond

// checkConfig refuses what the wire or the state machine cannot carry
// (a zero VRID or priority, an interval the advert field cannot hold).
// It is the package's guard for any caller; the ranges an operator
// meets, with file:line:col, are checked once, in config, so a config
// that loads never reaches these errors.
func checkConfig(cfg Config) error {
	names := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range cfg.Instances {
		switch {
		case c.Name == "" || names[c.Name]:
			return fmt.Errorf("vrrp: instance name %q empty or repeated", c.Name)
		case c.Interface == "":
			return fmt.Errorf("vrrp: instance %s: no interface", c.Name)
		case c.VRID == 0:
			return fmt.Errorf("vrrp: instance %s: vrid 0", c.Name)
		case c.Priority == 0:
			return fmt.Errorf("vrrp: instance %s: priority 0", c.Name)
		case c.AuthType != AuthNone && c.AuthType != AuthSimple:
			return fmt.Errorf("vrrp: instance %s: auth type %d unsupported", c.Name, c.AuthType)
		case len(c.AuthPass) > 8:
			return fmt.Errorf("vrrp: instance %s: password longer than 8 bytes", c.Name)
		case len(c.VIPs) > MaxAddresses:
			return fmt.Errorf("vrrp: instance %s: more than %d vips", c.Name, MaxAddresses)
		}
		if err := checkVersion(c); err != nil {
			return err
		}
		// RFC 5798 §5.2.3: IPv4 and IPv6 have separate VRID spaces.
		id := fmt.Sprintf("%s/%d", linkKey(c.Interface, c.IPv6), c.VRID)
		if ids[id] {
			return fmt.Errorf("vrrp: instance %s: vrid %d already used on %s", c.Name, c.VRID, c.Interface)
		}
		names[c.Name], ids[id] = true, true
	}
	inGroup := map[string]string{}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Members {
			if !names[m] {
				return fmt.Errorf("vrrp: sync group %s: unknown instance %q", g.Name, m)
			}
			if other, ok := inGroup[m]; ok {
				return fmt.Errorf("vrrp: instance %s is in sync groups %s and %s", m, other, g.Name)
			}
			inGroup[m] = g.Name
		}
	}
	return nil
}

func (c *InstanceConfig) machineConfig(src netip.Addr) MachineConfig {
	return MachineConfig{
		VRID: c.VRID, Priority: c.Priority, AdvertInterval: c.AdvertInterval,
		Nopreempt: c.Nopreempt, PreemptDelay: c.PreemptDelay, OwnAddr: src, Version: c.Version,
	}
}

// advert is what the instance sends, all but the priority, which is the
// machine's at the time of each send.
func (c *InstanceConfig) advert() Advertisement {
	if c.Version == Version3 {
		a := Advertisement{Version: Version3, VRID: c.VRID, MaxAdvertInt: uint16(c.AdvertInterval / centisecond)}
		for _, v := range c.VIPs {
			a.Addresses = append(a.Addresses, v.Prefix.Addr())
		}
		return a
	}
	a := Advertisement{VRID: c.VRID, AuthType: c.AuthType, AdvertInt: uint8(c.AdvertInterval / time.Second)}
	if c.AuthType == AuthSimple {
		a.AuthData = AuthPassword(c.AuthPass)
	}
	for _, v := range c.VIPs {
		a.Addresses = append(a.Addresses, v.Prefix.Addr())
	}
	return a
}

// expect is what the instance accepts from its peers: the adverts it
// sends itself, from another source than src.
func (c *InstanceConfig) expect(src netip.Addr) Expect {
	a := c.advert()
	return Expect{Version: a.Version, AuthType: a.AuthType, AuthData: a.AuthData, AdvertInt: a.AdvertInt,
		Addresses: a.Addresses, Own: []netip.Addr{src}, PeerTTL: c.PeerTTL}
}

// vips are the addresses the instance puts on when MASTER: its VIPs
// and excluded VIPs, each with its device.
func (c *InstanceConfig) vips() []VIPAddr {
	out := make([]VIPAddr, 0, len(c.VIPs)+len(c.ExcludedVIPs))
	for _, v := range slices.Concat(c.VIPs, c.ExcludedVIPs) {
		if v.Dev == "" {
			v.Dev = c.Interface
		}
		out = append(out, v)
	}
	return out
}

// group is where multicast adverts go: 224.0.0.18 or ff02::12.
func (c *InstanceConfig) group() netip.Addr {
	if c.IPv6 {
		return GroupAddr6
	}
	return GroupAddr
}

// weighted reports whether name is tracked with a weight (and so moves
// the priority instead of causing Fault). The instance's own interface
// is never weighted: without it the instance cannot speak.
func (c *InstanceConfig) weighted(name string) bool {
	if name == c.Interface {
		return false
	}
	for _, wi := range c.WeightedInterfaces {
		if wi.Name == name {
			return true
		}
	}
	return false
}

// watched are the interfaces whose state the instance depends on.
func (c *InstanceConfig) watched() []string {
	return append([]string{c.Interface}, c.TrackInterfaces...)
}

// followed are the watched interfaces plus the VIP devices, whose
// return makes the Router reopen their GARP senders.
func (c *InstanceConfig) followed() []string {
	names := c.watched()
	for _, v := range c.vips() {
		if !slices.Contains(names, v.Dev) {
			names = append(names, v.Dev)
		}
	}
	return names
}
