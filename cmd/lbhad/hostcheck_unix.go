//go:build unix

package main

import (
	"fmt"
	"net"
	"syscall"
)

// osProbe is the hostProbe of the running machine.
type osProbe struct{}

func (osProbe) Interface(name string) error {
	_, err := net.InterfaceByName(name)
	return err
}

func (osProbe) Creatable(path string) error {
	dir, err := nearestDir(path)
	if err != nil {
		return err
	}
	// W_OK|X_OK: create an entry in dir, as this process's real ids.
	if err := syscall.Access(dir, 0x2|0x1); err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	return nil
}
