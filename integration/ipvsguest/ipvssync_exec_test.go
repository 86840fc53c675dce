//go:build ipvsguest && linux

package ipvsguest

import "os/exec"

// execIpvsadm is ipvsadm with args, run in the caller's netns.
func execIpvsadm(args ...string) *exec.Cmd { return exec.Command("ipvsadm", args...) }
