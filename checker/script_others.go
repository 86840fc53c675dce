//go:build !unix

package checker

import (
	"context"
	"errors"
)

// errNoScripts: process groups and credentials are Unix concepts.
var errNoScripts = errors.New("scripts are not supported on this system")

type scriptChecker struct{}

func newScript(Spec) (*scriptChecker, error) { return nil, errNoScripts }

func (*scriptChecker) Check(context.Context) Result { return Result{Reason: errNoScripts.Error()} }
