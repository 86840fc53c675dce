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
	st, err = decodeMaintState(b)
	if err != nil {
		return st, fmt.Errorf("maintenance state %s: %w", path, err)
	}
	return st, nil
}

// decodeMaintState parses a state file's bytes. An empty file is an
// error, not an empty state: a file someone truncated may have held
// maintenance.
func decodeMaintState(b []byte) (maintState, error) {
	var st maintState
	if err := json.Unmarshal(b, &st); err != nil {
		return maintState{Version: maintStateVersion}, fmt.Errorf("decode: %w", err)
	}
	if st.Version != maintStateVersion {
		return maintState{Version: maintStateVersion}, fmt.Errorf("version %d, want %d", st.Version, maintStateVersion)
	}
	return st, nil
}

// failSafeState is the state used when the state file exists but cannot
// be used: the whole director in maintenance, marked with why.
func failSafeState(err error, now time.Time) maintState {
	return maintState{Version: maintStateVersion, Director: &maintMark{Since: now, By: "lbhad (state file unusable: " + err.Error() + ")"}}
}

// keepCorrupt copies an unusable state file to path.corrupt (best effort)
// so the next good save, which replaces it, does not destroy the only
// record of what it held. It returns the copy's path, or "" if none.
func keepCorrupt(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	dst := path + ".corrupt"
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		return ""
	}
	return dst
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
