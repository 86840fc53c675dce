// Package config loads lbhad's HCL configuration into a validated *Config.
//
// The schema follows keepalived's keepalived.conf(5) block and keyword
// names in snake_case (global, vrrp_script, vrrp_instance, vrrp_sync_group,
// virtual_server, real_server and the health-check blocks), so that an
// existing keepalived setup translates line by line. VRRP settings are
// checked against VRRPv2 (RFC 3768): 8-byte simple-text authentication,
// whole-second advertisement intervals, IPv4 virtual addresses, at most
// 255 of them per instance; virtual
// services against what IPVS accepts.
//
// Parse and LoadFile report every problem of a file in one pass as
// hcl.Diagnostics whose Subject points at the offending attribute or block,
// so a user sees file:line:col for each. WriteDiagnostics prints them with
// source snippets. ParseWith and LoadFileWith also ask a Host whether the
// users and files the config names exist on this machine (OSHost, or a
// fake in tests); Parse and LoadFile ask nothing. The package opens no
// sockets and imports no other lbhad package; docs/config.md is the
// user-facing reference.
package config
