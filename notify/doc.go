// Package notify tells people and programs about lbhad's state changes:
// VRRP instance and sync-group transitions (RFC 3768 §6.4 states plus
// keepalived's FAULT and STOP), real servers going up or down, virtual
// servers losing or regaining quorum, and the daemon starting, stopping
// and reloading.
//
// Three channels carry an Event: keepalived-compatible notify scripts
// (notify_master, notify_backup, notify_fault, notify_stop and the
// generic notify, called as `<script> INSTANCE|GROUP <name> <STATE>
// <priority>` so existing keepalived scripts work unchanged; notify_up,
// notify_down, quorum_up, quorum_down), email over SMTP (RFC 5321, with
// STARTTLS per RFC 3207 and AUTH PLAIN or LOGIN per RFC 4954) for the
// instances and groups with smtp_alert, and JSON webhooks signed with
// HMAC-SHA256 (RFC 2104).
//
// Each channel implements one small interface (Wants, Deliver; see
// channel.go) and sits, under its name, in the Dispatcher's slice of
// outlets; Stats are keyed by that name.
//
// Failover must never wait for a notification, so Dispatcher.Notify only
// routes the event into bounded queues and returns: each channel has its
// own worker, a hung SMTP server or webhook delays nothing but its own
// queue, and a full queue drops its oldest entry and counts the drop.
// Scripts keep one ordered queue per instance, group, real server and
// virtual server, so a script sees the transitions of its target in the
// order they happened while a slow script of one instance does not hold
// up another's. An instance and its sync group are separate targets, so
// their scripts are not ordered against each other. Measured against
// keepalived 2.2.7: a sync group's generic notify gets priority 0, and on
// shutdown each instance is notified STOP before its group.
package notify
