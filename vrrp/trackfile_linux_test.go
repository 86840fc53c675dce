package vrrp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type fileValue struct {
	name  string
	value int
}

// watchFiles runs WatchTrackFiles in the background and returns the
// channel of its reports.
func watchFiles(t *testing.T, files []WatchedFile) <-chan fileValue {
	t.Helper()
	ch := make(chan fileValue, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- WatchTrackFiles(ctx, files, func(name string, v int) { ch <- fileValue{name, v} }, nil)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchTrackFiles: %v", err)
		}
	})
	return ch
}

// next waits for the next report; the bound only keeps a broken watcher
// from hanging the test.
func nextFileValue(t *testing.T, ch <-chan fileValue) fileValue {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no track file report")
		return fileValue{}
	}
}

func expectFileValue(t *testing.T, ch <-chan fileValue, want fileValue) {
	t.Helper()
	if got := nextFileValue(t, ch); got != want {
		t.Fatalf("report %+v, want %+v", got, want)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWatchTrackFilesMidWrite: an event is handled after the fact, so
// the watcher can find the file in the middle of a plain write (renamed
// into place, or truncated by the next `echo N > FILE`, not yet
// written). That moment is not a value: the file's closed-write event
// follows. A file really empty when renamed in still counts as 0.
func TestWatchTrackFilesMidWrite(t *testing.T) {
	// Wide enough that the 20 ms below never outlasts it on a loaded
	// machine: the file is written long before its recheck.
	old := emptyRecheck
	emptyRecheck = time.Second
	t.Cleanup(func() { emptyRecheck = old })
	dir := t.TempDir()
	maint := filepath.Join(dir, "maint")
	writeFile(t, maint, "-254\n")
	ch := watchFiles(t, []WatchedFile{{"maint", maint}})
	expectFileValue(t, ch, fileValue{"maint", -254})

	// A writer that has not written yet is renamed into place: the
	// watcher sees MOVED_TO and an empty file.
	tmp := filepath.Join(dir, ".maint.new")
	w, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, maint); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the watcher handles MOVED_TO meanwhile
	if _, err := w.WriteString("-254\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing changed: the next report must be the next real value,
	// not a 0 for the empty moment.
	writeFile(t, tmp, "7\n")
	if err := os.Rename(tmp, maint); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", 7})

	// An empty file renamed into place is 0, after emptyRecheck.
	writeFile(t, tmp, "")
	if err := os.Rename(tmp, maint); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", 0})
}

func TestWatchTrackFilesInotify(t *testing.T) {
	dir := t.TempDir()
	maint, other := filepath.Join(dir, "maint"), filepath.Join(dir, "other")
	writeFile(t, other, "3\n")
	ch := watchFiles(t, []WatchedFile{{"maint", maint}, {"other", other}})
	// Initial read: missing is 0, the other file has its number.
	got := map[string]int{}
	for range 2 {
		v := nextFileValue(t, ch)
		got[v.name] = v.value
	}
	if got["maint"] != 0 || got["other"] != 3 || len(got) != 2 {
		t.Fatalf("initial reports %v", got)
	}

	writeFile(t, maint, "-100\n") // create + close_write
	expectFileValue(t, ch, fileValue{"maint", -100})

	// Atomic replace: a temporary file renamed over the path.
	tmp := filepath.Join(dir, ".maint.tmp")
	writeFile(t, tmp, "-254\n")
	if err := os.Rename(tmp, maint); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", -254})

	// Rewriting the same number reports nothing; the next change does,
	// and an unrelated file in the directory is not reported.
	writeFile(t, maint, "-254")
	writeFile(t, filepath.Join(dir, "unrelated"), "9")
	writeFile(t, maint, "garbage") // not a number: 0
	expectFileValue(t, ch, fileValue{"maint", 0})
	writeFile(t, maint, "-5")
	expectFileValue(t, ch, fileValue{"maint", -5})

	if err := os.Remove(maint); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", 0})

	// Moving the other file away is a delete too.
	if err := os.Rename(other, filepath.Join(dir, "other.old")); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"other", 0})
	select {
	case v := <-ch:
		t.Errorf("unexpected report %+v", v)
	default:
	}
}

// A directory that does not exist cannot be watched: the watcher polls,
// and sees the file once it appears.
func TestWatchTrackFilesPollFallback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	p := filepath.Join(dir, "maint")
	ch := watchFiles(t, []WatchedFile{{"maint", p}})
	expectFileValue(t, ch, fileValue{"maint", 0})
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, "-100")
	expectFileValue(t, ch, fileValue{"maint", -100})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", 0})
}

// Removing a watched directory ends the inotify watch; the watcher keeps
// going by polling.
func TestWatchTrackFilesDirectoryRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "maint")
	writeFile(t, p, "-7")
	ch := watchFiles(t, []WatchedFile{{"maint", p}})
	expectFileValue(t, ch, fileValue{"maint", -7})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	expectFileValue(t, ch, fileValue{"maint", 0})
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, "-9")
	expectFileValue(t, ch, fileValue{"maint", -9})
}

// TestTrackFileFIFO: a track file that is a named pipe with no writer
// is refused at once (value 0, ErrNotRegular) instead of blocking the
// reader, and the files watched after it are still read.
func TestTrackFileFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo, reg := filepath.Join(dir, "fifo"), filepath.Join(dir, "reg")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, reg, "5\n")
	type result struct {
		v   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := ReadTrackFile(fifo)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.v != 0 || !errors.Is(r.err, ErrNotRegular) {
			t.Errorf("ReadTrackFile(fifo) = %d, %v; want 0, ErrNotRegular", r.v, r.err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the stuck open so the goroutine ends with the test.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("ReadTrackFile blocked on a FIFO")
	}
	ch := watchFiles(t, []WatchedFile{{"fifo", fifo}, {"reg", reg}})
	got := map[fileValue]bool{nextFileValue(t, ch): true, nextFileValue(t, ch): true}
	if !got[fileValue{"fifo", 0}] || !got[fileValue{"reg", 5}] {
		t.Errorf("watcher reported %v, want fifo 0 and reg 5", got)
	}
}
