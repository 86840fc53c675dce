package daemon

import (
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// ServiceManager is what the daemon tells its supervisor: readiness,
// reloads, STATUS= lines and watchdog pings. (notify.Notifier is a
// different thing: the operator's notification channels.) The default
// one speaks sd_notify(3) and is silent when NOTIFY_SOCKET is unset, so
// the daemon behaves the same with or without systemd.
type ServiceManager interface {
	Notify(state string)
	// WatchdogInterval is how often the main loop must ping; 0 disables.
	WatchdogInterval() time.Duration
}

// Systemd implements ServiceManager with sd_notify.
type Systemd struct{}

// Notify sends one sd_notify state line; errors are ignored because a
// missing or full notify socket must never stop the daemon.
func (Systemd) Notify(state string) { _, _ = sd.SdNotify(false, state) }

// WatchdogInterval returns half of WATCHDOG_USEC, the margin systemd's
// documentation recommends, or 0 when the watchdog is off.
func (Systemd) WatchdogInterval() time.Duration {
	d, err := sd.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}

// noServiceManager is the daemon run without a supervisor (tests).
type noServiceManager struct{}

func (noServiceManager) Notify(string)                   {}
func (noServiceManager) WatchdogInterval() time.Duration { return 0 }
