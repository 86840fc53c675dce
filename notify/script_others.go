//go:build !unix

package notify

import "errors"

var errUnsupported = errors.New("notify scripts are not supported on this system")

// CheckScriptSecurity always fails where scripts cannot run.
func CheckScriptSecurity(string) error { return errUnsupported }
