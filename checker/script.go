package checker

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/lbhad/lbhad/internal/script"
)

// ErrUnterminatedQuote is returned by SplitCommand for a quote without its
// closing partner.
var ErrUnterminatedQuote = script.ErrUnterminatedQuote

// SplitCommand splits a misc_check or vrrp_script command line into words
// like a simple POSIX shell without running one; see script.Split, which
// it is. It returns ErrUnterminatedQuote, or script.ErrEmptyCommand for a
// command with no words.
func SplitCommand(s string) ([]string, error) { return script.Split(s) }

// MaxScriptOutput is how much of a script's combined stdout and stderr is
// kept; the rest is read and discarded so a chatty script never blocks on
// a full pipe.
const MaxScriptOutput = 64 << 10

// Environment variables naming the target of a misc_check (and, for a
// vrrp_script, the script), so one script can serve many real servers.
const (
	EnvRealServerAddr = "LBHAD_RS_ADDR"
	EnvRealServerPort = "LBHAD_RS_PORT"
	EnvVirtualServer  = "LBHAD_VS"
	EnvCheckID        = "LBHAD_CHECK_ID"
	EnvScript         = "LBHAD_SCRIPT"
)

// scriptEnv is the clean script environment (script.Env: a fixed PATH,
// nothing of the daemon's) plus the variables above.
func scriptEnv(s Spec) []string {
	env := script.Env(EnvCheckID + "=" + s.ID)
	if s.Kind == KindScript {
		return append(env, EnvScript+"="+s.Name)
	}
	if s.Target.IsValid() {
		env = append(env,
			EnvRealServerAddr+"="+s.Target.Addr().String(),
			EnvRealServerPort+"="+strconv.Itoa(int(s.Target.Port())))
	}
	return append(env, EnvVirtualServer+"="+s.VirtualServer)
}

// scriptArgs validates the misc block and returns the argv and timeout.
func scriptArgs(s Spec) ([]string, error) {
	if s.Misc == nil {
		return nil, errors.New("no command")
	}
	argv, err := SplitCommand(s.Misc.Path)
	if err != nil {
		return nil, fmt.Errorf("split command %q: %w", s.Misc.Path, err)
	}
	return argv, nil
}

// exitResult maps an exit code to keepalived's verdicts: 0 up; otherwise
// down, except that with misc_dynamic 2..255 mean up with weight code-2.
func exitResult(code int, dynamic bool) Result {
	switch {
	case code == 0:
		return Result{OK: true}
	case dynamic && code >= 2 && code <= 255:
		w := code - 2
		return Result{OK: true, Weight: &w}
	default:
		return Result{Reason: "exit status " + strconv.Itoa(code)}
	}
}

// capWriter keeps the first max bytes written and accepts (discards) the
// rest, so the copying goroutine keeps draining the pipe.
type capWriter struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
