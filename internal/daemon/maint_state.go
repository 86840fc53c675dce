package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lbhad/lbhad/internal/control"
)

// maintState is what "lbhad maint" holds out of service. It is kept in
// global.state_file so a restart or a reload does not put a drained
// director or real server back into service behind the operator's back.
type maintState struct {
	Version int `json:"version"`
	// Director, when set, holds every vrrp_instance in maintenance,
	// including instances a later reload adds.
	Director    *maintMark             `json:"director,omitempty"`
	Instances   map[string]maintMark   `json:"instances,omitempty"`
	RealServers map[string]maintRSMark `json:"real_servers,omitempty"` // key "VS/RS"
}

// maintMark records when and by whom maintenance was turned on.
type maintMark struct {
	Since time.Time `json:"since"`
	By    string    `json:"by"`
}

// maintRSMark is a real server's maintenance. Out is set once it has
// drained (or its drain timed out) and left the table.
type maintRSMark struct {
	Since        time.Time        `json:"since"`
	By           string           `json:"by"`
	DrainTimeout control.Duration `json:"drain_timeout"`
	Out          bool             `json:"out,omitempty"`
}

const maintStateVersion = 1

// loadMaintState reads path; a missing file is an empty state.
func loadMaintState(path string) (maintState, error) {
	st := maintState{Version: maintStateVersion}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read maintenance state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return maintState{Version: maintStateVersion}, fmt.Errorf("decode maintenance state %s: %w", path, err)
	}
	if st.Version != maintStateVersion {
		return maintState{Version: maintStateVersion}, fmt.Errorf("maintenance state %s has version %d, want %d", path, st.Version, maintStateVersion)
	}
	return st, nil
}

// saveMaintState writes st to path atomically: a temporary file in the
// same directory, synced, then renamed over the old one, so a crash
// leaves the old state or the new one, never half of either.
func saveMaintState(path string, st maintState) error {
	st.Version = maintStateVersion
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode maintenance state: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write maintenance state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write maintenance state %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort
		d.Close()
	}
	return nil
}
