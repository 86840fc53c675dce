//go:build !unix

package main

import "errors"

// osProbe cannot answer where lbhad does not run; validate --offline
// is the way to check a file there.
type osProbe struct{}

var errNoHost = errors.New("host checks need Linux; use --offline")

func (osProbe) Interface(string) error { return errNoHost }
func (osProbe) Creatable(string) error { return errNoHost }
