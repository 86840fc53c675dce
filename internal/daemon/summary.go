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

// statusLine is the one-line STATUS= text systemd shows: "running"
// only when every component took the config, else "degraded" and why.
func statusLine(cfg *config.Config, degraded []control.Problem) string {
	counts := fmt.Sprintf("%d vrrp instances, %d virtual servers", len(cfg.Instances), len(cfg.VirtualServers))
	if len(degraded) == 0 {
		return "running: " + counts
	}
	why := make([]string, len(degraded))
	for i, p := range degraded {
		why[i] = p.Component + ": " + p.Error
	}
	return "degraded (" + strings.Join(why, "; ") + "): " + counts
}
