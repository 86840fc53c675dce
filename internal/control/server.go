package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
)

// Source is what the daemon implements to answer "status".
type Source interface {
	Snapshot() Snapshot
}

// DumpSource is optionally implemented by a Source to add the running
// config to "dump". RedactConfig is applied by the server, so an
// implementation may return its live config (it must not modify it
// afterwards: the server reads it without the daemon's locks).
type DumpSource interface {
	Source
	EffectiveConfig() *config.Config
}

// HandlerFunc answers one request. The result is marshalled as the
// response's data; an error becomes {"ok":false,"error":err.Error()}.
type HandlerFunc func(ctx context.Context, peer Peer, req Command) (any, error)

// RootOnly wraps h so that it runs only for a root peer.
func RootOnly(h HandlerFunc) HandlerFunc {
	return func(ctx context.Context, peer Peer, req Command) (any, error) {
		if err := RequireRoot(peer); err != nil {
			return nil, err
		}
		return h(ctx, peer, req)
	}
}

// Options configure Listen.
type Options struct {
	Logger *zap.Logger // nil: zap.NewNop()
	// Timeout bounds one connection's idle time and each request's
	// round trip; default 10s.
	Timeout time.Duration
}

// ErrInUse is returned by Listen when another process answers on the
// socket path (most likely a second lbhad).
var ErrInUse = errors.New("control socket is in use by another process")

// Server serves the control protocol on a Unix socket.
type Server struct {
	path    string
	ln      *net.UnixListener
	log     *zap.Logger
	timeout time.Duration

	mu       sync.Mutex
	handlers map[string]HandlerFunc
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
	closeDone chan struct{} // closed when Close has finished
}

// Listen creates the socket at path with mode 0600, creating its
// directory with mode 0755 if missing, and registers "status" and
// "dump" answered from src. A socket file left by a crashed daemon is
// replaced; one that still answers gives ErrInUse, and a path that is
// not a socket is an error (it is never removed). The socket is bound
// under a temporary name, chmodded, then renamed into place, so it is
// never reachable with the umask's wider mode.
func Listen(path string, src Source, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create control socket directory: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	_ = os.Remove(tmp) // ours, from a crashed run with the same pid
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // the file is renamed; Close removes path
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("chmod control socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("move control socket into place: %w", err)
	}
	s := &Server{
		path: path, ln: ln, log: log.With(zap.String("component", "control"), zap.String("socket", path)),
		timeout: opts.Timeout, handlers: map[string]HandlerFunc{}, conns: map[net.Conn]struct{}{},
		closeDone: make(chan struct{}),
	}
	s.Handle(CmdStatus, func(context.Context, Peer, Command) (any, error) {
		return src.Snapshot(), nil
	})
	s.Handle(CmdDump, func(context.Context, Peer, Command) (any, error) {
		d := Dump{Snapshot: src.Snapshot()}
		if ds, ok := src.(DumpSource); ok {
			d.Config = RedactConfig(ds.EffectiveConfig())
		}
		return d, nil
	})
	return s, nil
}

// removeStale removes a socket file nobody answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect control socket path: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket path %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s: %w", path, ErrInUse)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("probe existing control socket %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale control socket: %w", err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Handle registers (or replaces) the handler of cmd. Safe to call while
// serving.
func (s *Server) Handle(cmd string, h HandlerFunc) {
	s.mu.Lock()
	s.handlers[cmd] = h
	s.mu.Unlock()
}

// Serve accepts connections until ctx is done or Close is called, then
// closes the listener, waits for open connections to finish and returns
// nil. Other accept errors are returned.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				<-s.closeDone
				s.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.Close()
			s.wg.Wait()
			return fmt.Errorf("accept on control socket: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(ctx, c)
	}
}

// Close stops the listener, closes open connections and removes the
// socket file. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		defer close(s.closeDone)
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		err := s.ln.Close()
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("close control socket: %w", err)
		}
	})
	<-s.closeDone
	return s.closeErr
}

func (s *Server) serveConn(ctx context.Context, c *net.UnixConn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	peer, err := peerCred(c)
	if err != nil {
		s.log.Debug("no peer credentials", zap.Error(err))
	}
	r := bufio.NewReaderSize(c, 4096)
	enc := json.NewEncoder(c)
	for {
		c.SetDeadline(time.Now().Add(s.timeout))
		line, err := readLine(r, MaxRequest)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				enc.Encode(Response{Error: "request too long"})
			}
			return
		}
		resp := s.dispatch(ctx, peer, line)
		if err := enc.Encode(resp); err != nil {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one '\n'-terminated line of at most max bytes; a final
// line without '\n' counts.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > max {
			return nil, errLineTooLong
		}
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case len(buf) > 0 && errors.Is(err, io.EOF):
			return buf, nil
		default:
			return nil, err
		}
	}
}

func (s *Server) dispatch(ctx context.Context, peer Peer, line []byte) (resp Response) {
	var req Command
	if err := json.Unmarshal(line, &req); err != nil {
		return Response{Error: "request is not JSON: " + err.Error()}
	}
	s.mu.Lock()
	h := s.handlers[req.Cmd]
	s.mu.Unlock()
	log := s.log.With(zap.String("cmd", req.Cmd), zap.Int32("pid", peer.PID), zap.Uint32("uid", peer.UID))
	if h == nil {
		log.Debug("unknown control command")
		return Response{Error: fmt.Sprintf("%s %q", ErrUnknownCommand, req.Cmd)}
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error("control handler panicked", zap.Any("panic", p))
			resp = Response{Error: "internal error"}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := h(ctx, peer, req)
	if err != nil {
		log.Info("control command refused", zap.Error(err))
		return Response{Error: err.Error()}
	}
	log.Debug("control command")
	data, err := json.Marshal(v)
	if err != nil {
		return Response{Error: "encode answer: " + err.Error()}
	}
	return Response{OK: true, Data: data}
}
