// Package metrics exports lbhad's state to Prometheus with
// github.com/prometheus/client_golang.
//
// Almost everything is read at scrape time from the same
// control.Snapshot that `lbhad status` shows, by a custom Collector: the
// VRRP state, priorities and packet counters of each instance (the
// advertisement checks of RFC 3768 section 7.1 appear as the reason label of
// lbhad_vrrp_adverts_dropped_total), whether an instance waits for its
// interface, real server health and weights, the IPVS traffic counters
// of virtual and real servers, quorum and script verdicts. Protocol
// paths therefore never touch a metric, and the numbers cannot drift
// from what the status command says. (The daemon shares one IPVS table
// read among scrapes for a few seconds, so scrapes do not cost a table
// dump each.)
//
// Serve's page (Page) writes those Snapshot series straight in the
// Prometheus text format, and only the rest (build info, the Observe
// metrics, the Go runtime and the process) goes through a registry: at
// 10,000 real servers a scrape through the registry made 322,000
// objects, the page makes about a thousand. Collect still exports
// everything, for a registry of one's own; the page's test holds the two
// to the same series.
//
// VRRP series carry vrrp_instance, vrid and interface labels, never
// "instance", which is Prometheus's own target label; vrid lets a query
// pair the two directors of a pair. lbhad_build_info names the binary
// (version, revision, Go version from its build info).
//
// What a snapshot cannot count arrives through Observe methods that the
// daemon calls from its hooks: check attempts and their latency
// (ObserveCheck, from the check engine's OnResult), IPVS writes and
// failures (ObserveIPVS), VRRP transitions (ObserveTransition) and config
// reloads (ObserveReload). Notification counts are read from the
// notifier's own counters at scrape time (SetNotificationSource).
//
// No metric carries a secret: labels are instance, virtual and real
// server, script and channel names, check kinds and drop reasons.
//
// examples/monitoring's alert rules and dashboard use these names;
// monitoring_test.go checks them against this package and runs promtool.
package metrics
