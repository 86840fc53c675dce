package vrrp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// trackFileEvents are the directory events that can change what a path
// holds: a write closed, a file renamed into or out of place, created or
// deleted.
const trackFileEvents = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_CREATE | unix.IN_DELETE

// emptyRecheck is how long an empty file seen on an event other than a
// closed write waits before it counts as 0. Events are read after the
// fact: one for a rename or a create may be handled while a later,
// plain writer (`echo 5 > FILE`) has truncated the file and not yet
// written it, and reporting that moment as 0 would move the priority for
// nothing. A file being written gets its own closed-write event before
// this ends; a file that is really empty is reported this much later.
// A variable so a test can widen it beyond its own scheduling delays.
var emptyRecheck = 50 * time.Millisecond

// errWatchGone says a watched directory was removed or unmounted; the
// caller falls back to polling.
var errWatchGone = errors.New("watched directory went away")

// inotify watches the files' directories (not the files, whose inode an
// atomic replace swaps), reads every file once the watches are in place
// and again on every event naming it, until ctx is done (nil) or the
// watch fails (the error).
func (t *trackFiles) inotify(ctx context.Context) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify init: %w", err)
	}
	// A non-blocking fd in an *os.File goes through the runtime poller,
	// so Close from another goroutine ends a pending Read.
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	byWD := map[int32]map[string][]WatchedFile{} // watch -> base name -> files
	for _, wf := range t.files {
		dir, base := filepath.Split(filepath.Clean(wf.Path))
		wd, err := unix.InotifyAddWatch(fd, dir, trackFileEvents)
		if err != nil {
			return fmt.Errorf("inotify watch %s: %w", dir, err)
		}
		if byWD[int32(wd)] == nil {
			byWD[int32(wd)] = map[string][]WatchedFile{}
		}
		byWD[int32(wd)][base] = append(byWD[int32(wd)][base], wf)
	}
	t.readAll()
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	recheck := map[string]WatchedFile{} // empty on a non-write event, by name
	var recheckAt time.Time             // when they are read again
	for {
		deadline := time.Time{}
		if len(recheck) > 0 {
			deadline = recheckAt
		}
		if err := f.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("inotify deadline: %w", err)
		}
		n, err := f.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			for name, wf := range recheck {
				t.read(wf)
				delete(recheck, name)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("inotify read: %w", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			end := min(off+unix.SizeofInotifyEvent+int(ev.Len), n)
			name := trimNUL(buf[off+unix.SizeofInotifyEvent : end])
			off = end
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				t.readAll() // events were lost: look at everything
			case ev.Mask&unix.IN_IGNORED != 0:
				t.readAll()
				return errWatchGone
			default:
				for _, wf := range byWD[ev.Wd][string(name)] {
					if ev.Mask&unix.IN_CLOSE_WRITE == 0 && emptyRegular(wf.Path) {
						if len(recheck) == 0 {
							recheckAt = time.Now().Add(emptyRecheck)
						}
						recheck[wf.Name] = wf
						continue
					}
					delete(recheck, wf.Name)
					t.read(wf)
				}
			}
		}
	}
}

// emptyRegular reports whether path is an empty regular file.
func emptyRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == 0
}

// openTrackFile opens path without blocking: O_NONBLOCK makes opening a
// FIFO that has no writer return at once (ReadTrackFile then refuses it),
// and O_NOCTTY keeps a terminal device from becoming ours.
func openTrackFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
