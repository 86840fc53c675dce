package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// ErrNotRunning is wrapped by Request when nothing listens on the
// socket path.
var ErrNotRunning = errors.New("is it running?")

// DefaultTimeout bounds a client request when the context has no
// deadline.
const DefaultTimeout = 10 * time.Second

// Request sends {"cmd":cmd} to the daemon at path and returns the
// answer's data. Errors: one wrapping ErrNotRunning ("cannot reach lbhad
// at PATH: is it running?") when the socket is missing or refuses,
// one wrapping os.ErrPermission when the caller may not open it, and the
// daemon's own error text when it refuses the command.
func Request(path, cmd string) (json.RawMessage, error) {
	return Do(context.Background(), path, Command{Cmd: cmd})
}

// Do is Request with a context and arguments.
func Do(ctx context.Context, path string, req Command) (json.RawMessage, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
			return nil, fmt.Errorf("cannot reach lbhad at %s: %w", path, ErrNotRunning)
		case errors.Is(err, os.ErrPermission):
			return nil, fmt.Errorf("cannot reach lbhad at %s: permission denied, the socket is root-only: %w", path, err)
		}
		return nil, fmt.Errorf("cannot reach lbhad at %s: %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("send %q to lbhad: %w", req.Cmd, err)
	}
	line, err := readLine(bufio.NewReader(c), MaxResponse)
	if err != nil {
		return nil, fmt.Errorf("read lbhad's answer to %q: %w", req.Cmd, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("decode lbhad's answer to %q: %w", req.Cmd, err)
	}
	if !resp.OK {
		return nil, fmt.Errorf("lbhad refused %q: %s", req.Cmd, resp.Error)
	}
	return resp.Data, nil
}

// Status fetches and decodes the daemon's Snapshot.
func Status(ctx context.Context, path string) (Snapshot, error) {
	var s Snapshot
	data, err := Do(ctx, path, Command{Cmd: CmdStatus})
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("decode status: %w", err)
	}
	return s, nil
}
