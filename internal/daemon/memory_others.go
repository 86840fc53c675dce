//go:build !linux

package daemon

func unmapInitText() {}
