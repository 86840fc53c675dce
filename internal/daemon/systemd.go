package daemon

import (
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// Notifier reports lifecycle state to a service manager. The default one
// speaks sd_notify(3) and is silent when NOTIFY_SOCKET is unset, so the
// daemon behaves the same with or without systemd.
type Notifier interface {
	Notify(state string)
	// WatchdogInterval is how often the main loop must ping; 0 disables.
	WatchdogInterval() time.Duration
}

// SystemdNotifier implements Notifier with sd_notify.
type SystemdNotifier struct{}

// Notify sends one sd_notify state line; errors are ignored because a
// missing or full notify socket must never stop the daemon.
func (SystemdNotifier) Notify(state string) { _, _ = sd.SdNotify(false, state) }

// WatchdogInterval returns half of WATCHDOG_USEC, the margin systemd's
// documentation recommends, or 0 when the watchdog is off.
func (SystemdNotifier) WatchdogInterval() time.Duration {
	d, err := sd.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}

type nopNotifier struct{}

func (nopNotifier) Notify(string)                   {}
func (nopNotifier) WatchdogInterval() time.Duration { return 0 }
