package vm

import (
	"fmt"
	"maps"
	"sync"
)

var (
	extraMu    sync.Mutex
	extraFiles []func() (map[string]File, error)
)

// AddFiles registers fn, whose files every later [Run] adds to the guest
// besides Options.Files (which win when both name the same path). It lets
// a test file put more programs into a boot another test owns: the
// end-to-end tests ship the lbhad daemon into the single boot of
// TestIPVSInGuest this way, so that test need not know about them. fn runs
// at every Run and should cache its work; an error from it fails the Run.
func AddFiles(fn func() (map[string]File, error)) {
	extraMu.Lock()
	defer extraMu.Unlock()
	extraFiles = append(extraFiles, fn)
}

// withExtraFiles returns files plus those of the registered sources.
func withExtraFiles(files map[string]File) (map[string]File, error) {
	extraMu.Lock()
	fns := append([]func() (map[string]File, error)(nil), extraFiles...)
	extraMu.Unlock()
	if len(fns) == 0 {
		return files, nil
	}
	out := map[string]File{}
	for _, fn := range fns {
		more, err := fn()
		if err != nil {
			return nil, fmt.Errorf("extra guest files: %w", err)
		}
		maps.Copy(out, more)
	}
	maps.Copy(out, files)
	return out, nil
}
