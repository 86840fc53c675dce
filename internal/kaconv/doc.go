// Package kaconv converts a keepalived configuration (keepalived.conf(5),
// with its include files) into an lbhad HCL configuration, for migrating
// a director pair from keepalived to lbhad.
//
// lbhad's block and attribute names are keepalived's in snake_case, so
// most options carry over one to one: global_defs, vrrp_script,
// vrrp_sync_group, vrrp_instance (VRRPv2, RFC 3768), virtual_server and
// real_server with their HTTP_GET, SSL_GET, TCP_CHECK and MISC_CHECK
// health checks. keepalived has many options lbhad does not implement
// (BFD, SNMP, firewall rules, ...). Convert never drops
// one silently: it returns each as an Unsupported entry with file and
// line, and leaves a comment at that spot in the output, because a
// migration that quietly loses a setting fails only when it is needed.
// It fails closed: after converting it walks every statement and reports
// any that no code carried, and a real server whose checks cannot all be
// written is left out (and reported) rather than written with fewer.
//
// Lines are read as keepalived 2.2.7 reads them: comments, @ID and @^ID
// conditional lines against a config id, $NAME=VALUE parameters and
// their substitution (docs/notes/keepalived-config-syntax.md).
//
// Where keepalived and lbhad differ in behaviour and the converter can
// keep keepalived's, it does: SSL_GET in keepalived does not verify
// certificates, so converted ssl_get blocks get insecure = true with a
// comment; an auth_pass longer than 8 bytes is cut to the 8 bytes
// keepalived actually sent.
//
// Run the result through config.Parse (lbhad validate) before use; the
// lbhad convert command does, and exits non-zero on any loss or error.
package kaconv
