// Package metrics exports lbhad's state to Prometheus with
// github.com/prometheus/client_golang.
//
// Almost everything is read at scrape time from the same
// control.Snapshot that `lbhad status` shows, by a custom Collector: the
// VRRP state, priorities and packet counters of each instance (the
// advertisement checks of RFC 3768 section 7.1 appear as the reason label of
// lbhad_vrrp_adverts_dropped_total), real server health and weights,
// quorum and script verdicts. Protocol paths therefore never touch a
// metric, and the numbers cannot drift from what the status command
// says.
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
package metrics
