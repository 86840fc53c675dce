// Package daemon is the one place that wires lbhad together: it loads the
// config, starts the VRRP routers, the health-check engine, the IPVS
// reconciler and the notifiers, connects their events, and owns the
// process lifecycle (reload on SIGHUP, orderly stop, systemd readiness and
// watchdog). Domain packages never import each other; they meet here.
//
// build (components.go) is the one wiring function: from the config's
// environment and a few Ports (IPVS, sync daemon and VRRP socket
// openers, check maker, clock, service manager) it makes every part,
// connects their callbacks, and returns them as named Parts. Run, the
// validate command (CheckConfig) and the daemon tests call it; tests
// pass fake ports.
package daemon
