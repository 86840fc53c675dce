//go:build !linux

package ipvssync

import "errors"

// SyncDaemons is only implemented on Linux.
type SyncDaemons struct{}

// OpenSyncDaemons always fails off Linux with an error wrapping
// ErrUnavailable.
func OpenSyncDaemons(string) (*SyncDaemons, error) {
	return nil, errors.Join(ErrUnavailable, errors.New("IPVS sync daemons need Linux"))
}

// Close does nothing.
func (s *SyncDaemons) Close() {}

// Start fails off Linux.
func (s *SyncDaemons) Start(DaemonInfo) error { return ErrUnavailable }

// Stop fails off Linux.
func (s *SyncDaemons) Stop(DaemonState) error { return ErrUnavailable }

// List fails off Linux.
func (s *SyncDaemons) List() ([]DaemonInfo, error) { return nil, ErrUnavailable }

// ListDaemons fails off Linux.
func ListDaemons() ([]DaemonInfo, error) { return nil, ErrUnavailable }
