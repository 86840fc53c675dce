//go:build !unix

package notify

import (
	"context"
	"errors"
	"time"
)

var errUnsupported = errors.New("notify scripts are not supported on this system")

type userCred struct{}

func lookupUser(string) (*userCred, error) { return nil, errUnsupported }

func runScript(context.Context, []string, *userCred, time.Duration) error { return errUnsupported }

// CheckScriptSecurity always fails where scripts cannot run.
func CheckScriptSecurity(string) error { return errUnsupported }
