package daemon

import (
	"fmt"
	"strconv"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
)

// Check IDs name what a verdict is about, so one engine can serve both
// VRRP (scripts) and IPVS (real servers).
func scriptCheckID(name string) string { return "script/" + name }

// realCheckIDAt names the real server's i-th check (from 0): the first
// is "rs/<virtual server>/<real server>", and keeps that ID when a
// second is added, so a config with one check per real server keeps its
// check IDs, and with them its check states across upgrade and reload.
func realCheckIDAt(vs *config.VirtualServer, rs *config.RealServer, i int) string {
	return string(appendRealCheckID(nil, vs, rs, i))
}

// appendRealCheckID appends realCheckIDAt's ID to b, for lookups that
// should not allocate one.
func appendRealCheckID(b []byte, vs *config.VirtualServer, rs *config.RealServer, i int) []byte {
	b = append(append(append(append(b, "rs/"...), vs.Name...), '/'), rs.Name...)
	if i > 0 {
		b = strconv.AppendInt(append(b, '#'), int64(i+1), 10)
	}
	return b
}

// realRef names a checked real server for its consumers: IPVS needs the
// key, notifications the config names. It points into the config that
// made it rather than copying the key and names: the checker component
// holds one per check, 10,000 of them for as many tcp_checks, and the
// pointers make each a third of the size.
type realRef struct {
	vs  *config.VirtualServer
	rs  *config.RealServer
	ids []string // every check of the real server, in config order
}

// key is the real server's IPVS key.
func (r realRef) key() ipvssync.RealKey { return ipvssync.RealKeyOf(r.vs, r.rs) }

// checkKind maps a config check kind to the engine's probe by name. The
// two enums are separate lists, so a cast would silently pair the wrong
// kinds the day one list changes order; an unknown kind is an error.
func checkKind(k config.CheckKind) (checker.Kind, error) {
	switch k {
	case config.CheckHTTP:
		return checker.KindHTTP, nil
	case config.CheckSSL:
		return checker.KindSSL, nil
	case config.CheckTCP:
		return checker.KindTCP, nil
	case config.CheckMisc:
		return checker.KindMisc, nil
	case config.CheckDNS:
		return checker.KindDNS, nil
	case config.CheckUDP:
		return checker.KindUDP, nil
	case config.CheckPing:
		return checker.KindPing, nil
	case config.CheckSMTP:
		return checker.KindSMTP, nil
	case config.CheckFile:
		return checker.KindFile, nil
	}
	return 0, fmt.Errorf("no checker for check kind %v", k)
}

// checkSpecs maps every vrrp_script and every real server check to an
// engine spec. realOf maps each of a real server's check IDs back to it
// (realRef.ids lists them all). It fails on a check kind the engine does
// not know.
func checkSpecs(cfg *config.Config) ([]checker.Spec, map[string]realRef, error) {
	var specs []checker.Spec
	for _, s := range cfg.Scripts {
		user := s.User
		if user == "" {
			user = cfg.Global.ScriptUser
		}
		sp := checker.Spec{
			ID: scriptCheckID(s.Name), Name: s.Name, Kind: checker.KindScript,
			Interval: s.Interval, ConnectTimeout: s.Timeout, Rise: s.Rise, Fall: s.Fall,
			Misc: &checker.MiscSpec{Path: s.Script, Timeout: s.Timeout, User: user, Secure: cfg.Global.EnableScriptSecurity},
		}
		if s.InitFail {
			sp.Initial = checker.StartDown // keepalived's init_fail
		}
		specs = append(specs, sp)
	}
	realOf := map[string]realRef{}
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			ref := realRef{vs: vs, rs: rs}
			for i := range rs.Checks {
				ref.ids = append(ref.ids, realCheckIDAt(vs, rs, i))
			}
			for i, c := range rs.Checks {
				id := ref.ids[i]
				realOf[id] = ref
				sp, err := realSpec(cfg, vs, rs, c, id)
				if err != nil {
					return nil, nil, fmt.Errorf("virtual server %s, real server %s: %w", vs.Name, rs.Name, err)
				}
				specs = append(specs, sp)
			}
		}
	}
	return specs, realOf, nil
}

func realSpec(cfg *config.Config, vs *config.VirtualServer, rs *config.RealServer, c *config.Check, id string) (checker.Spec, error) {
	kind, err := checkKind(c.Kind)
	if err != nil {
		return checker.Spec{}, err
	}
	sp := checker.Spec{
		ID: id, Name: rs.Name, Kind: kind, Target: rs.Address, VirtualServer: vs.Name,
		Interval: c.Interval, ConnectTimeout: c.ConnectTimeout, Rise: c.Rise, Fall: c.Fall, Retry: c.Retry,
		DelayBeforeRetry: c.DelayBeforeRetry, Warmup: c.Warmup,
		ConnectIP: c.ConnectIP, ConnectPort: c.ConnectPort, BindTo: c.BindTo,
	}
	if vs.Alpha {
		// keepalived's alpha: down until the check passes, so the server
		// joins IPVS only when proven alive.
		sp.Initial = checker.StartDown
	}
	if h := c.HTTP; h != nil {
		hs := &checker.HTTPSpec{VirtualHost: h.VirtualHost,
			ServerName: h.ServerName, CAFile: h.CAFile, CertFile: h.CertFile, KeyFile: h.KeyFile, Insecure: h.Insecure}
		for _, u := range h.URLs {
			us := checker.URLSpec{Path: u.Path, VirtualHost: u.VirtualHost, BodyRegex: u.BodyRegex, Digest: u.Digest}
			for _, r := range u.Status {
				us.Status = append(us.Status, checker.StatusRange{Min: r.Min, Max: r.Max})
			}
			hs.URLs = append(hs.URLs, us)
		}
		sp.HTTP = hs
	}
	if d := c.DNS; d != nil {
		sp.DNS = &checker.DNSSpec{Type: d.Type, Name: d.Name, Expect: d.Expect}
	}
	if u := c.UDP; u != nil {
		sp.UDP = &checker.UDPSpec{Payload: u.Payload, RequireReply: u.RequireReply, Reply: u.Reply, ReplyMask: u.ReplyMask,
			MinReplyLen: u.MinReplyLen, MaxReplyLen: u.MaxReplyLen}
	}
	if m := c.SMTP; m != nil {
		sp.SMTP = &checker.SMTPSpec{HeloName: m.HeloName, EHLO: m.EHLO}
	}
	if f := c.File; f != nil {
		sp.File = &checker.FileSpec{Path: f.File, Weight: f.Weight, Reverse: f.Reverse, BaseWeight: rs.Weight}
	}
	if t := c.TCP; t != nil { // nil for a bare connect, in both
		sp.TCP = &checker.TCPSpec{Send: t.Send, Expect: t.Expect}
	}
	if m := c.Misc; m != nil {
		user := m.User
		if user == "" {
			user = cfg.Global.ScriptUser
		}
		sp.Misc = &checker.MiscSpec{Path: m.Path, Timeout: m.Timeout, Dynamic: m.Dynamic, User: user, Secure: cfg.Global.EnableScriptSecurity}
	}
	return sp, nil
}
