//go:build unix

package notify

// The script security rule and the runner live in internal/script; this
// file stays for the unix/others split of the package's tests.
