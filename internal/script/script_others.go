//go:build !unix

package script

import (
	"context"
	"errors"
	"os/exec"
)

// errUnsupported: process groups and credentials are Unix concepts.
var errUnsupported = errors.New("scripts are not supported on this system")

// Credential stands in for syscall.Credential, which only Unix has.
type Credential struct{}

// LookupUser fails where scripts cannot run.
func LookupUser(string) (*Credential, error) { return nil, errUnsupported }

// LookupUserUnlessSelf fails where scripts cannot run.
func LookupUserUnlessSelf(string) (*Credential, error) { return nil, errUnsupported }

// Command returns a command that fails to start where scripts cannot run.
func Command(ctx context.Context, argv []string, _ *Credential) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Err = errUnsupported
	return cmd
}

// Run returns cmd.Run's error, errUnsupported for a cmd from Command.
func Run(_ context.Context, cmd *exec.Cmd, _ Options) error { return cmd.Run() }

// Resolve fails where scripts cannot run.
func Resolve(string, bool, *Credential) (string, error) { return "", errUnsupported }
