package daemon

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
)

// logSummary writes one line per VRRP instance and virtual server so an
// operator can see at a glance what the daemon took from the file.
func logSummary(log *zap.Logger, path string, cfg *config.Config) {
	log.Info("config loaded", zap.String("config", path), zap.String("router_id", cfg.Global.RouterID),
		zap.Int("instances", len(cfg.Instances)), zap.Int("virtual_servers", len(cfg.VirtualServers)))
	for _, in := range cfg.Instances {
		vips := make([]string, len(in.VIPs))
		for i, v := range in.VIPs {
			vips[i] = v.Prefix.String()
		}
		log.Info("vrrp instance "+in.Name,
			zap.String("interface", in.Interface), zap.Uint8("vrid", in.VRID), zap.Uint8("priority", in.Priority),
			zap.Duration("advert_int", in.AdvertInterval), zap.String("vips", strings.Join(vips, ",")))
	}
	for _, vs := range cfg.VirtualServers {
		log.Info("virtual server "+vs.Name,
			zap.String("service", serviceName(vs)), zap.String("lb_algo", vs.Scheduler), zap.Stringer("lb_kind", vs.Kind),
			zap.Int("real_servers", len(vs.RealServers)))
	}
}

func serviceName(vs *config.VirtualServer) string {
	if vs.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", vs.FWMark)
	}
	return vs.Protocol.String() + " " + vs.Address.String()
}

// statusLine is the one-line STATUS= text systemd shows, read by a
// person in `systemctl status`: how many VRRP instances are in the
// election, which wait and why, what else does not run, and how many
// virtual servers there are, e.g.
//
//	degraded: 2/3 VRRP instances up; waiting: VI_2 (interface late0 not found); 1 virtual server
//
// It starts with "running" only when every component took the config
// and every VRRP instance runs, else with "degraded". st is the VRRP
// router's status: an instance counts as up when it is listed and not
// waiting. A nil st means no router runs: none is up when the vrrp
// component is degraded, else the count is unknown and only the
// configured number is shown.
func statusLine(cfg *config.Config, degraded []control.Problem, vs vrrpSummary) string {
	waiting := vs.waiting
	known := vs.known
	for _, p := range degraded {
		known = known || p.Component == "vrrp"
	}
	count := plural(len(cfg.Instances), "VRRP instance")
	if known || len(cfg.Instances) == 0 {
		count = instanceCount(vs.instances-len(waiting), len(cfg.Instances))
	}
	parts := []string{count}
	if len(waiting) > 0 {
		parts = append(parts, "waiting: "+strings.Join(waiting, ", "))
	}
	for _, p := range degraded {
		parts = append(parts, p.Component+": "+p.Error)
	}
	parts = append(parts, plural(len(cfg.VirtualServers), "virtual server"))
	state := "running"
	if len(degraded) > 0 || len(waiting) > 0 || (known && vs.instances < len(cfg.Instances)) {
		state = "degraded"
	}
	return state + ": " + strings.Join(parts, "; ")
}

// instanceCount is "2/3 VRRP instances up", or "no VRRP instances".
func instanceCount(up, n int) string {
	if n == 0 {
		return "no VRRP instances"
	}
	return fmt.Sprintf("%d/%d VRRP %s up", max(up, 0), n, pluralWord(n, "instance"))
}

// statusCounts is what the config holds, for the "starting" line.
func statusCounts(cfg *config.Config) string {
	return plural(len(cfg.Instances), "VRRP instance") + "; " + plural(len(cfg.VirtualServers), "virtual server")
}

func plural(n int, what string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, what)) }

func pluralWord(n int, what string) string {
	if n == 1 {
		return what
	}
	return what + "s"
}

// vrrpSummary is what STATUS= says of VRRP: whether the router is
// known (it exists, or failed), how many instances it lists, and the
// waiting ones as "NAME (why)" (vrrp.Router.Waiting).
type vrrpSummary struct {
	known     bool
	instances int
	waiting   []string
}
