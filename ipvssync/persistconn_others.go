//go:build !linux

package ipvssync

// PersistConns fails off Linux.
func PersistConns(Table) (map[ServiceKey]map[DestKey]uint32, error) { return nil, ErrUnavailable }
