// Package script runs operators' scripts the keepalived way, for both the
// check engine (misc_check, vrrp_script) and the notifier (notify_*,
// quorum_up/down): a command line is split into words like a simple POSIX
// shell would without running one (Split), the program runs as the
// configured script user (LookupUser) in its own process group, and the
// whole group is killed at the timeout and swept after the script exits
// (Command, Run), so a script's children never outlive it. Run is also
// the one place where enable_script_security is enforced (Resolve, right
// before each exec, on the path actually executed), where scripts get a
// clean environment (Env) and where the number of scripts running at once
// is bounded daemon-wide (Limiter, SetMaxProcs).
//
// It exists so that checker and notify, which are domain leaves that do
// not import each other, share one copy of this logic instead of two. It
// implements no RFC; the behaviour follows keepalived's notify.c and
// check_misc.c. It imports no other lbhad package.
package script
