package ipvssync

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PersistConns reads the persistent-connection count of every
// destination of every service in t, from the caller's network
// namespace.
func PersistConns(t Table) (map[ServiceKey]map[DestKey]uint32, error) {
	s, err := OpenSyncDaemons("")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	out := make(map[ServiceKey]map[DestKey]uint32, len(t))
	for k := range t {
		msgs, err := s.exec(MarshalGetDests(k), unix.NLM_F_DUMP)
		if err != nil {
			return nil, fmt.Errorf("list destinations of %s: %w", k, err)
		}
		m := make(map[DestKey]uint32, len(msgs))
		for _, msg := range msgs {
			dk, n, err := UnmarshalDestPersistConns(msg, k.Family)
			if err != nil {
				return nil, fmt.Errorf("destinations of %s: %w", k, err)
			}
			m[dk] = n
		}
		out[k] = m
	}
	return out, nil
}
