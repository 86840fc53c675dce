package kaconv

// ---------------------------------------------------------------------
// PENDING: keywords that wait for lbhad capabilities (issue 16). Each
// stays a named loss until then; when lbhad gains it, move the keyword
// into the mapping, a one-line change each.
// ---------------------------------------------------------------------

var pending = map[string]string{}

// reasons explains, for keepalived options that lbhad knows about but
// does not implement, why they are dropped. Options missing here get a
// generic sentence.
var reasons = map[string]string{
	// top level
	"bfd_instance":        "BFD is out of scope: lbhad has no BFD",
	"static_ipaddress":    "lbhad does not manage static addresses; configure them with the system's network configuration",
	"static_routes":       "lbhad does not manage static routes; configure them with the system's network configuration",
	"static_rules":        "lbhad does not manage routing rules; configure them with the system's network configuration",
	"vrrp_track_process":  "lbhad has no process tracking; use a vrrp_script such as \"pidof NAME\"",
	"linkbeat_interfaces": "lbhad follows link state through netlink only",
	"net_namespace":       "lbhad runs in the namespace it is started in",

	// global_defs
	"vrrp_garp_master_delay":   "set garp_master_delay in each vrrp_instance instead",
	"vrrp_garp_master_repeat":  "set garp_master_repeat in each vrrp_instance instead",
	"vrrp_garp_master_refresh": "set garp_master_refresh in each vrrp_instance instead",
	"vrrp_strict":              "lbhad follows RFC 3768 without keepalived's strict-mode firewall rules",
	"vrrp_iptables":            "lbhad installs no firewall rules",
	"vrrp_ipsets":              "lbhad installs no firewall rules",
	"nftables":                 "lbhad installs no firewall rules",
	"dynamic_interfaces":       "lbhad does not follow interfaces that are deleted and created again while it runs (keepalived's dynamic_interfaces); an instance whose interface is missing is in FAULT",
	"enable_traps":             "lbhad has no SNMP support; see metrics_listen for Prometheus metrics",
	"enable_snmp_vrrp":         "lbhad has no SNMP support; see metrics_listen for Prometheus metrics",
	"enable_snmp_checker":      "lbhad has no SNMP support; see metrics_listen for Prometheus metrics",
	"enable_snmp_rfc":          "lbhad has no SNMP support; see metrics_listen for Prometheus metrics",
	"smtp_helo_name":           "lbhad sends its host name in HELO",
	"notify_fifo":              "lbhad has no notify FIFO; use notify commands or a webhook",
	"vrrp_notify_fifo":         "lbhad has no notify FIFO; use notify commands or a webhook",
	"lvs_notify_fifo":          "lbhad has no notify FIFO; use notify commands or a webhook",
	"vrrp_mcast_group4":        "lbhad always uses the VRRP group 224.0.0.18, or unicast_peer",
	"vrrp_priority":            "lbhad does not change its scheduling priority",
	"checker_priority":         "lbhad does not change its scheduling priority",

	// vrrp_instance
	"dont_track_primary":         "lbhad always tracks its instance's interface",
	"track_bfd":                  "BFD is out of scope: lbhad has no BFD",
	"track_process":              "lbhad has no process tracking; use a vrrp_script such as \"pidof NAME\"",
	"mcast_src_ip":               "lbhad sends multicast advertisements from the interface's address; for another source use unicast_src_ip with unicast_peer",
	"no_accept":                  "lbhad always runs in Accept_Mode (a master answers on its virtual addresses), keepalived's default; keepalived's no_accept drops that traffic with firewall rules, which lbhad does not manage",
	"strict_mode":                "lbhad follows RFC 3768 without keepalived's strict-mode firewall rules",
	"debug":                      "lbhad's logging is set on its command line",
	"notify_master_rx_lower_pri": "lbhad has no such notification",
	"kernel_rx_buf_size":         "lbhad uses the kernel's socket buffer size",

	// virtual_server
	"one_packet_scheduling": "not a keepalived 2.2.7 keyword (keepalived reports and ignores it); its one-packet scheduling is ops",
	"lvs_flags":             "not a keepalived 2.2.7 keyword (keepalived reports and ignores it); its scheduler flags are sh-fallback, sh-port, mh-fallback, mh-port and flag-1 to flag-3",
	"persistence_engine":    "lbhad has no IPVS persistence engines",

	// real_server and checks
	"BFD_CHECK":      "BFD is out of scope: lbhad has no BFD (see Health checks in docs/config.md)",
	"bind_port":      "lbhad checks from a kernel-chosen source port",
	"bind_if":        "lbhad lets the kernel choose the interface for checks",
	"fwmark":         "lbhad does not mark check traffic",
	"regex_no_match": "lbhad has no inverted body match",
	"http_protocol":  "lbhad sends HTTP/1.1 requests",
	"fast_recovery":  "lbhad has no fast recovery",
}
