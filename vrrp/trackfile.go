package vrrp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// WatchedFile is one keepalived-style track_file: Name is what the
// instances' TrackFiles refer to, Path the file an operator or agent
// writes a number into.
type WatchedFile struct {
	Name string
	Path string
}

// PollInterval is how often WatchTrackFiles re-reads the files when
// inotify cannot be used.
const PollInterval = time.Second

// maxTrackFileRead is how much of a tracked file is read: a number, not
// a document (keepalived reads 127 bytes).
const maxTrackFileRead = 127

// ErrNotRegular says a track file is a named pipe, device or socket.
var ErrNotRegular = errors.New("not a regular file")

// ParseTrackFile reads the number in a track file's content: an integer
// (decimal, or 0x/0o/0b prefixed as strtol would take it) with optional
// surrounding whitespace. Empty content is 0. Anything else is an error,
// and the caller counts it as 0, as keepalived does.
func ParseTrackFile(b []byte) (int, error) {
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("parse track file: %q is not a number: %w", s, err)
	}
	return int(n), nil
}

// ReadTrackFile returns the number in a track file. A missing file is 0
// without error, as in keepalived: deleting the file is how a flag is
// cleared. An unreadable file or one that holds no number is 0 with the
// error (from os.Open, Read or ParseTrackFile) saying why. Only a
// regular file is read: a named pipe, device or socket is 0 with
// ErrNotRegular, and opening it never blocks (a FIFO with no writer
// would otherwise stall the watcher and every file after it).
func ReadTrackFile(path string) (int, error) {
	f, err := openTrackFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read track file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return 0, fmt.Errorf("read track file %s: %w", path, err)
	} else if !fi.Mode().IsRegular() && !fi.IsDir() {
		return 0, fmt.Errorf("read track file %s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	buf := make([]byte, maxTrackFileRead)
	n, err := f.Read(buf)
	if err != nil && n == 0 && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read track file %s: %w", path, err)
	}
	v, err := ParseTrackFile(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// trackFiles remembers what was last reported per file, so that set is
// called once per change and a broken file is logged once, not on every
// poll.
type trackFiles struct {
	files  []WatchedFile
	set    func(name string, value int)
	log    *zap.Logger
	last   map[string]int
	lastEr map[string]string
}

func newTrackFiles(files []WatchedFile, set func(string, int), log *zap.Logger) *trackFiles {
	if log == nil {
		log = zap.NewNop()
	}
	return &trackFiles{files: files, set: set, log: log, last: map[string]int{}, lastEr: map[string]string{}}
}

// read re-reads one file and reports its value if it changed (or was
// never reported).
func (t *trackFiles) read(f WatchedFile) {
	v, err := ReadTrackFile(f.Path)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg != t.lastEr[f.Name] {
		if err != nil {
			t.log.Warn("track file unusable, counting it as 0", zap.String("track_file", f.Name), zap.String("path", f.Path), zap.Error(err))
		}
		t.lastEr[f.Name] = msg
	}
	if old, seen := t.last[f.Name]; seen && old == v {
		return
	}
	t.last[f.Name] = v
	t.log.Info("track file value", zap.String("track_file", f.Name), zap.String("path", f.Path), zap.Int("value", v))
	t.set(f.Name, v)
}

func (t *trackFiles) readAll() {
	for _, f := range t.files {
		t.read(f)
	}
}

// poll re-reads every file each interval until ctx is done.
func (t *trackFiles) poll(ctx context.Context, interval time.Duration) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		t.readAll()
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// WatchTrackFiles reports the number in every file through set at once,
// and again each time it changes, until ctx is done. On Linux it watches
// the files' directories with inotify, so that writes, atomic replaces
// (rename over the file) and deletes are all seen; when inotify cannot
// be used (or a watched directory goes away) it falls back to reading
// every file each PollInterval. A missing file is 0; a file that holds
// no number is 0 and logged. set is called from WatchTrackFiles'
// goroutine, never concurrently. It returns nil when ctx ends.
func WatchTrackFiles(ctx context.Context, files []WatchedFile, set func(name string, value int), log *zap.Logger) error {
	t := newTrackFiles(files, set, log)
	if len(files) == 0 {
		<-ctx.Done()
		return nil
	}
	if err := t.inotify(ctx); err != nil && ctx.Err() == nil {
		t.log.Warn("cannot watch track files with inotify, polling them", zap.Duration("interval", PollInterval), zap.Error(err))
		t.poll(ctx, PollInterval)
	}
	return nil
}
