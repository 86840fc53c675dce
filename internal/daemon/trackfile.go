package daemon

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

// trackFileComponent watches the config's track_file files and passes
// their numbers to VRRP (vrrpComponent.SetTrackFile). Every Apply
// restarts the watcher, so each file is read again at start and on
// reload, as keepalived does.
type trackFileComponent struct {
	log *zap.Logger
	set func(name string, value int)

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newTrackFileComponent(log *zap.Logger, set func(name string, value int)) *trackFileComponent {
	return &trackFileComponent{log: log.With(zap.String("component", "track_file")), set: set}
}

func (c *trackFileComponent) Name() string { return "track_file" }

func (c *trackFileComponent) Apply(_ context.Context, cfg *config.Config) error {
	var (
		files []vrrp.WatchedFile
		errs  []error
	)
	for _, tf := range cfg.TrackFiles {
		if tf.InitFile {
			if err := initTrackFile(tf.File); err != nil {
				errs = append(errs, err)
			}
		}
		files = append(files, vrrp.WatchedFile{Name: tf.Name, Path: tf.File})
	}
	c.stopWatcher()
	if len(files) > 0 {
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		c.mu.Lock()
		c.cancel, c.done = cancel, done
		c.mu.Unlock()
		go func() {
			defer close(done)
			if err := vrrp.WatchTrackFiles(wctx, slices.Clone(files), c.set, c.log); err != nil {
				c.log.Error("track file watcher stopped", zap.Error(err))
			}
		}()
	}
	return errors.Join(errs...)
}

// initTrackFile creates a missing track file holding 0 (keepalived's
// init_file); an existing one is left alone.
func initTrackFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err // *PathError names the operation and the file
	}
	_, err = f.WriteString("0\n")
	return errors.Join(err, f.Close())
}

func (c *trackFileComponent) stopWatcher() {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.cancel, c.done = nil, nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (c *trackFileComponent) Stop(context.Context) error {
	c.stopWatcher()
	return nil
}

// Check has nothing to refuse: a track file may appear later, and its
// watcher reports it then.
func (c *trackFileComponent) Check(*config.Config) error { return nil }
