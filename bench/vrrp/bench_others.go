//go:build !linux

package vrrpbench

import (
	"context"
	"io"
)

// Run fails with ErrLinuxOnly.
func Run(context.Context, Config, io.Writer, io.Writer) (*Result, error) {
	return nil, ErrLinuxOnly
}
