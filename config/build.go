package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// hostname supplies the default router_id; tests replace it.
var hostname = os.Hostname

// Defaults taken from keepalived where it has one.
const (
	defaultPriority         = 100
	defaultAdvertInt        = time.Second
	defaultGARPMasterDelay  = 5 * time.Second
	defaultGARPMasterRepeat = 5
	defaultScriptInterval   = time.Second
	defaultDelayLoop        = 60 * time.Second
	defaultConnectTimeout   = 5 * time.Second
	defaultDelayBeforeRetry = time.Second
	defaultPersistence      = 300 * time.Second
	defaultEmailTimeout     = 30 * time.Second
	defaultWebhookTimeout   = 5 * time.Second
	defaultWebhookRetries   = 3
	defaultWebhookQueueSize = 1000
	defaultScheduler        = "wlc"
	maxAuthPass             = 8   // VRRPv2 authentication data is 8 bytes
	maxVIPs                 = 255 // VRRPv2 "Count IP Addrs" is one byte
	maxScriptWeight         = 253
	maxRealServerWeight     = 65535
)

func (b *builder) build(raw *rawFile) *Config {
	cfg := &Config{}
	b.global(raw.Global, &cfg.Global)
	scripts := b.scripts(raw.Scripts, cfg)
	trackFiles := b.trackFiles(raw.TrackFiles, cfg)
	b.instances(raw.Instances, cfg, scripts)
	b.instanceTrackFiles(raw.Instances, cfg, trackFiles)
	b.syncGroups(raw.SyncGroups, cfg)
	b.syncGroupTracking(raw.SyncGroups, cfg, scripts, trackFiles)
	b.lvsSyncDaemon(raw.Global, cfg) // after instances: it names one
	b.virtualServers(raw.VirtualServers, cfg, b.virtualServerGroups(raw.VSGroups, cfg))
	b.bgp(raw, cfg) // after virtual servers: it checks their announce
	return cfg
}

func (b *builder) global(raw *rawGlobal, g *Global) {
	g.ControlSocket = DefaultControlSocket
	g.LVSResyncInterval = DefaultLVSResyncInterval
	g.MaxScriptProcesses = DefaultMaxScriptProcesses
	g.VRRPVersion = 2
	if raw == nil {
		g.RouterID = defaultRouterID()
		return
	}
	if n, ok := b.integer(raw.VRRPVersion, "vrrp_version", 2, 3); ok {
		g.VRRPVersion = uint8(n)
	}
	b.garpGlobal(raw, &g.GARP)
	g.RouterID = b.strDefault(raw.RouterID, "router_id", "")
	if g.RouterID == "" {
		g.RouterID = defaultRouterID()
	}
	g.ScriptUser = b.strDefault(raw.ScriptUser, "script_user", "")
	b.checkUser(raw.ScriptUser, "script_user", g.ScriptUser)
	g.EnableScriptSecurity = b.boolDefault(raw.EnableScriptSecurity, "enable_script_security", false)
	if n, ok := b.integer(raw.MaxScriptProcesses, "max_script_processes", 1, MaxScriptProcessesLimit); ok {
		g.MaxScriptProcesses = int(n)
	}
	if s, ok := b.str(raw.ControlSocket, "control_socket"); ok {
		if s == "" {
			b.errorf(raw.ControlSocket.Range(), "Invalid control_socket", "control_socket must be the path of a Unix socket, such as %q.", DefaultControlSocket)
		} else {
			g.ControlSocket = s
		}
	}
	if s, ok := b.str(raw.StateFile, "state_file"); ok {
		if !filepath.IsAbs(s) {
			b.errorf(raw.StateFile.Range(), "Invalid state_file", "state_file must be an absolute path, such as %q.", DefaultStateFile)
		} else {
			g.StateFile = s
		}
	}
	g.LVSDrainTimeout, _ = b.duration(raw.LVSDrainTimeout, "lvs_drain_timeout")
	g.LVSKeepOnStop = b.boolDefault(raw.LVSKeepOnStop, "lvs_keep_on_stop", false)
	if d, ok := b.duration(raw.LVSResyncInterval, "lvs_resync_interval"); ok {
		if d != 0 && d < time.Second {
			b.errorf(raw.LVSResyncInterval.Range(), "Invalid lvs_resync_interval",
				"lvs_resync_interval must be 0 (off) or at least 1s; it is %v.", d)
		} else {
			g.LVSResyncInterval = d
		}
	}
	if s, ok := b.str(raw.MetricsListen, "metrics_listen"); ok && s != "" {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			b.errorf(raw.MetricsListen.Range(), "Invalid metrics_listen", "metrics_listen must be host:port, such as \"127.0.0.1:9469\" or \":9469\"; %q is not.", s)
		} else {
			g.MetricsListen = s
		}
	}
	if t := raw.LVSTimeouts; t != nil {
		g.LVSTimeouts.TCP, _ = b.wholeSeconds(t.TCP, "tcp")
		g.LVSTimeouts.TCPFin, _ = b.wholeSeconds(t.TCPFin, "tcpfin")
		g.LVSTimeouts.UDP, _ = b.wholeSeconds(t.UDP, "udp")
	}
	if n := raw.Notification; n != nil {
		if n.Email != nil {
			g.Notification.Email = b.email(n.Email)
		}
		seen := map[string]hcl.Range{}
		for _, rw := range n.Webhooks {
			if first, dup := seen[rw.Name]; dup {
				b.dupName(rw.DefRange, "webhook", rw.Name, first)
				continue
			}
			seen[rw.Name] = rw.DefRange
			g.Notification.Webhooks = append(g.Notification.Webhooks, b.webhook(rw))
		}
	}
}

func defaultRouterID() string {
	h, err := hostname()
	if err != nil || h == "" {
		return "lbhad"
	}
	return h
}

func (b *builder) dupName(rng hcl.Range, kind, name string, first hcl.Range) {
	b.errorf(rng, "Duplicate "+kind+" name", "A %s named %q was already defined at %s; names must be unique.", kind, name, first.String())
}

// mailbox reports whether s is an email address or a bare local mail
// name ("root"), which keepalived accepts and the local mail server
// completes with its own domain.
func mailbox(s string) bool {
	if _, err := mail.ParseAddress(s); err == nil {
		return true
	}
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", r)) {
			return false
		}
	}
	return true
}

func (b *builder) email(raw *rawEmail) *Email {
	e := &Email{ConnectTimeout: defaultEmailTimeout}
	b.require(raw.Server, "server")
	b.require(raw.From, "from")
	b.require(raw.To, "to")
	if s, ok := b.str(raw.Server, "server"); ok {
		if srv, ok := smtpServer(s); ok {
			e.Server = srv
		} else {
			b.errorf(raw.Server.Range(), "Invalid server", "server must be an SMTP host, optionally with :port (default 25); %q is not.", s)
		}
	}
	if s, ok := b.str(raw.From, "from"); ok {
		if !mailbox(s) {
			b.errorf(raw.From.Range(), "Invalid email address", "from must be an email address such as \"lbhad@example.com\" or a local mail name such as \"root\"; %q is not.", s)
		} else {
			e.From = s
		}
	}
	if to, ok := b.strList(raw.To, "to"); ok {
		if len(to) == 0 {
			b.errorf(raw.To.Range(), "Invalid email address", "to must list at least one email address.")
		}
		for _, s := range to {
			if !mailbox(s) {
				b.errorf(raw.To.Range(), "Invalid email address", "to must hold email addresses such as \"ops@example.com\" or local mail names such as \"root\"; %q is not.", s)
				continue
			}
			e.To = append(e.To, s)
		}
	}
	e.StartTLS = b.boolDefault(raw.StartTLS, "starttls", false)
	e.Username = b.strDefault(raw.Username, "username", "")
	e.Password = b.strDefault(raw.Password, "password", "")
	if d, ok := b.positiveDuration(raw.ConnectTimeout, "connect_timeout"); ok {
		e.ConnectTimeout = d
	}
	return e
}

// smtpServer returns s as host:port, adding keepalived's default port 25.
func smtpServer(s string) (string, bool) {
	if s == "" || strings.ContainsAny(s, " /\t") {
		return "", false
	}
	if host, port, err := net.SplitHostPort(s); err == nil {
		return s, host != "" && port != ""
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", false
		}
	}
	return net.JoinHostPort(host, "25"), true
}

func (b *builder) webhook(raw *rawWebhook) *Webhook {
	w := &Webhook{Name: raw.Name, Timeout: defaultWebhookTimeout, Retries: defaultWebhookRetries, QueueSize: defaultWebhookQueueSize}
	b.require(raw.URL, "url")
	if s, ok := b.str(raw.URL, "url"); ok {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The value is not quoted back: a webhook URL often
			// carries a token.
			b.errorf(raw.URL.Range(), "Invalid url", "url must be an absolute http:// or https:// URL with a host.")
		} else {
			w.URL = s
		}
	}
	w.Secret = b.strDefault(raw.Secret, "secret", "")
	if h, ok := b.strMap(raw.Headers, "headers"); ok && len(h) > 0 {
		w.Headers = h
	}
	if d, ok := b.positiveDuration(raw.Timeout, "timeout"); ok {
		w.Timeout = d
	}
	if n, ok := b.integer(raw.Retries, "retries", 0, 100); ok {
		w.Retries = int(n)
	}
	if n, ok := b.integer(raw.QueueSize, "queue_size", 1, 1000000); ok {
		w.QueueSize = int(n)
	}
	if v, ok := b.boolean(raw.PathSafe, "url_path_safe"); ok {
		w.URLPathSafe = v
	}
	return w
}

func (b *builder) scripts(raws []*rawScript, cfg *Config) map[string]*Script {
	byName := map[string]*Script{}
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "vrrp_script", r.Name, first.Range)
			continue
		}
		s := &Script{Name: r.Name, Interval: defaultScriptInterval, Rise: 1, Fall: 1, Range: r.DefRange}
		b.require(r.Script, "script")
		if v, ok := b.str(r.Script, "script"); ok {
			if strings.TrimSpace(v) == "" {
				b.errorf(r.Script.Range(), "Invalid script", "script must be a command line, such as \"/usr/bin/killall -0 haproxy\".")
			}
			s.Script = v
		}
		if d, ok := b.positiveDuration(r.Interval, "interval"); ok {
			s.Interval = d
		}
		s.Timeout = s.Interval
		// A timeout longer than the interval is valid, as in keepalived:
		// a run is never started while the previous one is still going.
		if d, ok := b.positiveDuration(r.Timeout, "timeout"); ok {
			s.Timeout = d
		}
		if n, ok := b.integer(r.Weight, "weight", -maxScriptWeight, maxScriptWeight); ok {
			s.Weight = int(n)
		}
		if n, ok := b.integer(r.Rise, "rise", 1, 1<<20); ok {
			s.Rise = int(n)
		}
		if n, ok := b.integer(r.Fall, "fall", 1, 1<<20); ok {
			s.Fall = int(n)
		}
		s.InitFail = b.boolDefault(r.InitFail, "init_fail", false)
		s.Reverse = b.boolDefault(r.Reverse, "reverse", false)
		s.User = b.strDefault(r.User, "user", "")
		b.checkUser(r.User, "user", s.User)
		byName[r.Name] = s
		cfg.Scripts = append(cfg.Scripts, s)
	}
	return byName
}

func (b *builder) notify(master, backup, fault, stop, generic hcl.Expression) NotifyScripts {
	return NotifyScripts{
		Master:  b.strDefault(master, "notify_master", ""),
		Backup:  b.strDefault(backup, "notify_backup", ""),
		Fault:   b.strDefault(fault, "notify_fault", ""),
		Stop:    b.strDefault(stop, "notify_stop", ""),
		Generic: b.strDefault(generic, "notify", ""),
	}
}

// smtpAlert reads smtp_alert, which only makes sense with somewhere to send
// the mail.
func (b *builder) smtpAlert(e hcl.Expression, cfg *Config) bool {
	on, ok := b.boolean(e, "smtp_alert")
	if ok && on && cfg.Global.Notification.Email == nil {
		b.errorf(e.Range(), "smtp_alert without email settings", "smtp_alert needs a global { notification { email { server, from, to } } } block that says where to send the mail.")
	}
	return on
}

type vipOwner struct {
	instance string
	rng      hcl.Range
}

func (b *builder) instances(raws []*rawInstance, cfg *Config, scripts map[string]*Script) {
	byName := map[string]*Instance{}
	vrids := map[string]hcl.Range{} // "eth0/51" -> first definition
	vips := map[netip.Addr]vipOwner{}
	vmacs := map[string]hcl.Range{}
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "vrrp_instance", r.Name, first.Range)
			continue
		}
		in := &Instance{
			Name:             r.Name,
			Priority:         defaultPriority,
			AdvertInterval:   defaultAdvertInt,
			State:            StateBackup,
			GARPMasterDelay:  defaultGARPMasterDelay,
			GARPMasterRepeat: defaultGARPMasterRepeat,
			Range:            r.DefRange,
		}
		byName[r.Name] = in
		cfg.Instances = append(cfg.Instances, in)

		b.require(r.Interface, "interface")
		b.require(r.VRID, "virtual_router_id")
		if s, ok := b.str(r.Interface, "interface"); ok {
			if !validIfName(s) {
				b.errorf(r.Interface.Range(), "Invalid interface", "interface must be a network interface name of 1 to 15 characters without spaces or slashes; %q is not.", s)
			}
			in.Interface = s
		}
		vridOK := false
		if n, ok := b.integer(r.VRID, "virtual_router_id", 1, 255); ok {
			in.VRID, vridOK = uint8(n), true
		}
		if n, ok := b.integer(r.Priority, "priority", 1, 255); ok {
			in.Priority = uint8(n)
		}
		advertInt, advertOK := b.duration(r.AdvertInt, "advert_int")
		if s, ok := b.str(r.State, "state"); ok {
			switch strings.ToUpper(s) {
			case "MASTER":
				in.State = StateMaster
			case "BACKUP":
				in.State = StateBackup
			default:
				b.errorf(r.State.Range(), "Invalid state", "state must be \"MASTER\" or \"BACKUP\"; %q is neither.", s)
			}
		}
		in.Nopreempt = b.boolDefault(r.Nopreempt, "nopreempt", false)
		if d, ok := b.duration(r.PreemptDelay, "preempt_delay"); ok {
			if d > 1000*time.Second {
				b.errorf(r.PreemptDelay.Range(), "Invalid preempt_delay", "preempt_delay must be from 0 to 1000 seconds; it is %s.", d)
			} else {
				in.PreemptDelay = d
			}
		}
		b.preemptRules(r, in)
		if a := r.Auth; a != nil {
			b.auth(a, in)
		}
		b.vips(r, in, vips)
		b.virtualRoutes(r, in)
		b.family(r, in, cfg.Global.VRRPVersion)
		b.vmac(r, in, vmacs)
		if advertOK {
			b.advertInt(r.AdvertInt, in, advertInt)
		}
		if vridOK {
			// RFC 5798 §5.2.3: IPv4 and IPv6 have separate VRID spaces.
			key := fmt.Sprintf("%s/%d", in.Interface, in.VRID)
			if in.IPv6 {
				key = fmt.Sprintf("%s/ipv6/%d", in.Interface, in.VRID)
			}
			if first, dup := vrids[key]; dup && in.Interface != "" {
				b.errorf(r.VRID.Range(), "Duplicate virtual_router_id", "virtual_router_id %d is already used on interface %s by the instance at %s; each VRRP instance on an interface needs its own ID.", in.VRID, in.Interface, first.String())
			} else {
				vrids[key] = r.DefRange
			}
		}
		if a, ok := b.addr(r.UnicastSrcIP, "unicast_src_ip", false); ok {
			if a.Is6() != in.IPv6 {
				b.errorf(r.UnicastSrcIP.Range(), "Invalid unicast_src_ip", "unicast_src_ip %s is %s but the instance is %s: %s", a, familyName(a.Is6()), familyName(in.IPv6), oneFamily)
			} else {
				in.UnicastSrcIP = a
			}
		}
		b.unicastPeers(r.UnicastPeer, in)
		if ifs, ok := b.strList(r.TrackInterface, "track_interface"); ok {
			for _, s := range ifs {
				ti, err := parseTrackInterface(s)
				if err != nil {
					b.errorf(r.TrackInterface.Range(), "Invalid track_interface", "track_interface must list interface names of 1 to 15 characters, each optionally followed by keepalived's \"weight W [reverse]\" (W from -253 to 253), such as \"eth1\" or \"eth2 weight -20\"; %q %v.", s, err)
					continue
				}
				in.TrackInterfaces = append(in.TrackInterfaces, ti.Name)
				if ti.Weight != 0 || ti.Reverse {
					in.TrackInterfaceWeights = append(in.TrackInterfaceWeights, ti)
				}
			}
		}
		in.TrackScripts = append(in.TrackScripts, b.trackScripts(r.TrackScripts, scripts, cfg)...)
		if d, ok := b.duration(r.GARPMasterDelay, "garp_master_delay"); ok {
			in.GARPMasterDelay = d
		}
		if n, ok := b.integer(r.GARPMasterRepeat, "garp_master_repeat", 1, 255); ok {
			in.GARPMasterRepeat = int(n)
		}
		if d, ok := b.duration(r.GARPMasterRefresh, "garp_master_refresh"); ok {
			in.GARPMasterRefresh = d
		}
		b.garp(r, in, cfg.Global.GARP)
		in.Notify = b.notify(r.NotifyMaster, r.NotifyBackup, r.NotifyFault, r.NotifyStop, r.Notify)
		in.SMTPAlert = b.smtpAlert(r.SMTPAlert, cfg)
	}
}

func scriptNames(cfg *Config) []string {
	var names []string
	for _, s := range cfg.Scripts {
		names = append(names, s.Name)
	}
	return names
}

func nameList(names []string) string {
	if len(names) == 0 {
		return "(none defined)"
	}
	return `"` + strings.Join(names, `", "`) + `"`
}

// validIfName mirrors the kernel's dev_valid_name.
func validIfName(s string) bool {
	return s != "" && len(s) < 16 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n")
}

func (b *builder) auth(a *rawAuth, in *Instance) {
	b.require(a.AuthType, "auth_type")
	t, ok := b.str(a.AuthType, "auth_type")
	if ok {
		switch strings.ToUpper(t) {
		case "PASS":
			in.AuthType = AuthPass
		case "AH":
			b.errorf(a.AuthType.Range(), "Unsupported auth_type", "IPsec AH is not supported; use auth_type \"PASS\", or no authentication block for none.")
		default:
			b.errorf(a.AuthType.Range(), "Invalid auth_type", "auth_type must be \"PASS\"; %q is not supported.", t)
		}
	}
	p, ok := b.str(a.AuthPass, "auth_pass")
	switch {
	case ok && len(p) > maxAuthPass:
		b.errorf(a.AuthPass.Range(), "auth_pass too long", "auth_pass must be at most %d bytes because VRRPv2 carries %d; it has %d. keepalived would silently cut it, so peers could disagree.", maxAuthPass, maxAuthPass, len(p))
	case ok && p == "":
		b.errorf(a.AuthPass.Range(), "Invalid auth_pass", "auth_pass must be 1 to %d bytes.", maxAuthPass)
	case ok:
		in.AuthPass = p
	case !present(a.AuthPass) && in.AuthType == AuthPass:
		b.errorf(a.DefRange, "Missing auth_pass", "auth_type \"PASS\" needs an auth_pass of 1 to %d bytes.", maxAuthPass)
	}
}

func (b *builder) vips(r *rawInstance, in *Instance, seen map[netip.Addr]vipOwner) {
	in.VIPs = b.vipList(r.VIPs, "virtual_ipaddress", in, seen)
	if len(in.VIPs) > maxVIPs {
		b.errorf(r.VIPs.Range(), "Too many virtual_ipaddress entries", "An instance can have at most %d virtual addresses, the most a VRRPv2 advertisement can carry (RFC 3768 section 5.3.5); this one has %d. Split them over several instances in a vrrp_sync_group, or move some into virtual_ipaddress_excluded.", maxVIPs, len(in.VIPs))
	}
	in.ExcludedVIPs = b.vipList(r.VIPsExcluded, "virtual_ipaddress_excluded", in, seen)
}

// vipList reads a virtual_ipaddress or virtual_ipaddress_excluded list.
func (b *builder) vipList(e hcl.Expression, name string, in *Instance, seen map[netip.Addr]vipOwner) []VIP {
	list, ok := b.strList(e, name)
	if !ok {
		return nil
	}
	var out []VIP
	for _, s := range list {
		v, err := parseVIP(s)
		if err != nil {
			b.errorf(e.Range(), "Invalid "+name, "Each %s entry must be \"ADDRESS[/len] [brd ADDR|+|-] [dev IFACE] [scope SCOPE] [label LABEL]\", such as \"192.0.2.50/24 dev eth0\" or \"2001:db8::50/64\"; %q: %v.", name, s, err)
			continue
		}
		if v.Dev == "" {
			v.Dev = in.Interface
		}
		if v.Label != "" && v.Dev != "" && !strings.HasPrefix(v.Label, v.Dev) {
			b.errorf(e.Range(), "Invalid "+name, "The label of %q must start with its device name %q, as the kernel requires.", s, v.Dev)
			continue
		}
		if first, dup := seen[v.Prefix.Addr()]; dup {
			b.errorf(e.Range(), "Duplicate "+name, "%s is already a virtual address of instance %q at %s; an address can belong to only one instance.", v.Prefix.Addr(), first.instance, first.rng.String())
			continue
		}
		seen[v.Prefix.Addr()] = vipOwner{in.Name, e.Range()}
		out = append(out, v)
	}
	return out
}

// parseVIP parses keepalived's "ADDR[/LEN] [brd ADDR|+|-] [dev IFACE]
// [scope SCOPE] [label LABEL]".
func parseVIP(s string) (VIP, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return VIP{}, fmt.Errorf("empty entry")
	}
	var v VIP
	if strings.Contains(f[0], "/") {
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			return VIP{}, fmt.Errorf("%s is not an address with prefix length", f[0])
		}
		if p.Addr().Zone() != "" {
			return VIP{}, fmt.Errorf("%s has a zone, which is not allowed", f[0])
		}
		v.Prefix = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
		if p.Addr().Is4In6() {
			return VIP{}, fmt.Errorf("%s is an IPv4-mapped IPv6 prefix", f[0])
		}
	} else {
		a, err := parseAddr(f[0], false)
		if err != nil {
			return VIP{}, fmt.Errorf("%s %w", f[0], err)
		}
		v.Prefix = netip.PrefixFrom(a, a.BitLen())
	}
	var brd string
	for i := 1; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return VIP{}, fmt.Errorf("%s needs a value", f[i])
		}
		val := f[i+1]
		switch f[i] {
		case "dev":
			if v.Dev != "" || !validIfName(val) {
				return VIP{}, fmt.Errorf("bad or repeated dev %s", val)
			}
			v.Dev = val
		case "label":
			if v.Label != "" || len(val) > 15 {
				return VIP{}, fmt.Errorf("bad or repeated label %s (at most 15 characters)", val)
			}
			v.Label = val
		case "brd", "broadcast":
			if brd != "" {
				return VIP{}, fmt.Errorf("repeated brd %s", val)
			}
			brd = val
		case "scope":
			sc, err := parseScope(val)
			if err != nil {
				return VIP{}, err
			}
			v.Scope = sc
		default:
			return VIP{}, fmt.Errorf("unknown option %q (allowed: brd, dev, scope, label)", f[i])
		}
	}
	if brd != "" {
		b, err := broadcast(v.Prefix, brd)
		if err != nil {
			return VIP{}, err
		}
		v.Broadcast = b
	}
	return v, nil
}

// broadcast reads a VIP's brd: an IPv4 address, or "+" (the prefix with
// all host bits set) or "-" (all host bits clear), as ip reads them.
func broadcast(p netip.Prefix, s string) (netip.Addr, error) {
	if !p.Addr().Is4() {
		return netip.Addr{}, fmt.Errorf("brd is for IPv4 addresses only")
	}
	switch s {
	case "+", "-":
		a := p.Masked().Addr().As4()
		if s == "+" {
			for i := p.Bits(); i < 32; i++ {
				a[i/8] |= 0x80 >> (i % 8)
			}
		}
		return netip.AddrFrom4(a), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("brd %q is not an IPv4 address, + or -", s)
	}
	return a, nil
}

func (b *builder) syncGroups(raws []*rawSyncGroup, cfg *Config) {
	instances := map[string]bool{}
	var names []string
	for _, in := range cfg.Instances {
		instances[in.Name] = true
		names = append(names, in.Name)
	}
	byName := map[string]*SyncGroup{}
	member := map[string]string{} // instance -> group
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "vrrp_sync_group", r.Name, first.Range)
			continue
		}
		g := &SyncGroup{Name: r.Name, Range: r.DefRange}
		byName[r.Name] = g
		cfg.SyncGroups = append(cfg.SyncGroups, g)
		b.require(r.Group, "group")
		if list, ok := b.strList(r.Group, "group"); ok {
			if len(list) == 0 {
				b.errorf(r.Group.Range(), "Empty group", "group must list at least one vrrp_instance name.")
			}
			for _, n := range list {
				switch other, in := member[n]; {
				case !instances[n]:
					b.errorf(r.Group.Range(), "Unknown instance in group", "No vrrp_instance named %q is defined; group must name some of: %s.", n, nameList(names))
				case in && other == r.Name:
					b.errorf(r.Group.Range(), "Duplicate instance in group", "Instance %q is listed twice in this group.", n)
				case in:
					b.errorf(r.Group.Range(), "Instance in two sync groups", "Instance %q is already in vrrp_sync_group %q; an instance can belong to one group only.", n, other)
				default:
					member[n] = r.Name
					g.Group = append(g.Group, n)
				}
			}
		}
		g.Notify = b.notify(r.NotifyMaster, r.NotifyBackup, r.NotifyFault, r.NotifyStop, r.Notify)
		g.SMTPAlert = b.smtpAlert(r.SMTPAlert, cfg)
	}
}
