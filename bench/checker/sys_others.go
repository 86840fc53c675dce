//go:build !linux

package main

import (
	"errors"
	"net/netip"
	"os/exec"
	"time"
)

var errLinuxOnly = errors.New("the checker benchmark runs on linux only")

func cpuTime() time.Duration           { return 0 }
func netnsCmd(cmd *exec.Cmd) *exec.Cmd { return cmd }
func isPermission(error) bool          { return true }
func setupNetns() error                { return errLinuxOnly }
func rawConnect(netip.AddrPort) error  { return errLinuxOnly }
