//go:build !linux

package ipvsbench

import (
	"context"
	"errors"
	"io"
)

// Run fails: IPVS is Linux's.
func Run(context.Context, Config, io.Writer, io.Writer) (*Result, error) {
	return nil, errors.New("the IPVS benchmark needs Linux")
}
