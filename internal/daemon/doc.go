// Package daemon is the one place that wires lbhad together: it loads the
// config, starts the VRRP routers, the health-check engine, the IPVS
// reconciler and the notifiers, connects their events, and owns the
// process lifecycle (reload on SIGHUP, orderly stop, systemd readiness and
// watchdog). Domain packages never import each other; they meet here.
package daemon
