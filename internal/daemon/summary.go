package daemon

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/vrrp"
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

// statusLine is the one-line STATUS= text systemd shows: "running"
// only when every component took the config and every VRRP instance
// runs, else "degraded" and why (waiting lists the instances that wait
// for their interface, each with its reason).
func statusLine(cfg *config.Config, degraded []control.Problem, waiting []string) string {
	counts := statusCounts(cfg)
	var why []string
	for _, p := range degraded {
		why = append(why, p.Component+": "+p.Error)
	}
	if len(waiting) > 0 {
		why = append(why, fmt.Sprintf("vrrp: %d/%d instances waiting: %s", len(waiting), len(cfg.Instances), strings.Join(waiting, "; ")))
	}
	if len(why) == 0 {
		return "running: " + counts
	}
	return "degraded (" + strings.Join(why, "; ") + "): " + counts
}

func statusCounts(cfg *config.Config) string {
	return fmt.Sprintf("%d vrrp instances, %d virtual servers", len(cfg.Instances), len(cfg.VirtualServers))
}

// waitingInstances names the instances that wait for their interface,
// with the reason, in the form statusLine takes.
func waitingInstances(st []vrrp.Status) []string {
	var out []string
	for _, s := range st {
		if s.Waiting != "" {
			out = append(out, s.Name+" ("+s.Waiting+")")
		}
	}
	return out
}
