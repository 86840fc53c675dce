package daemon

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

type reported struct {
	name  string
	value int
}

func TestTrackFileComponent(t *testing.T) {
	dir := t.TempDir()
	maint, drain := filepath.Join(dir, "maint"), filepath.Join(dir, "drain")
	if err := os.WriteFile(drain, []byte("-3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ch := make(chan reported, 100)
	c := newTrackFileComponent(zap.NewNop(), func(name string, v int) { ch <- reported{name, v} })
	cfg := &config.Config{TrackFiles: []*config.TrackFile{
		{Name: "maint", File: maint, Weight: 1, InitFile: true},
		{Name: "drain", File: drain, Weight: 1, InitFile: true},
	}}
	next := func() reported {
		t.Helper()
		select {
		case r := <-ch:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no report")
			return reported{}
		}
	}
	initial := func() map[string]int {
		t.Helper()
		got := map[string]int{}
		for range 2 {
			r := next()
			got[r.name] = r.value
		}
		return got
	}
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := initial(); got["maint"] != 0 || got["drain"] != -3 {
		t.Fatalf("initial %v", got)
	}
	// init_file created the missing file with 0 and left the other alone.
	if b, err := os.ReadFile(maint); err != nil || string(b) != "0\n" {
		t.Errorf("init_file: %q, %v", b, err)
	}
	if b, _ := os.ReadFile(drain); string(b) != "-3\n" {
		t.Errorf("existing file rewritten: %q", b)
	}
	if err := os.WriteFile(maint, []byte("-100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := next(); r != (reported{"maint", -100}) {
		t.Errorf("after write: %+v", r)
	}
	// A reload reads every file again.
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := initial(); got["maint"] != -100 || got["drain"] != -3 {
		t.Errorf("after reload %v", got)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(maint, []byte("7"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // give a (wrongly) running watcher a chance
	select {
	case r := <-ch:
		t.Errorf("report after Stop: %+v", r)
	default:
	}
}

func TestTrackFileInitError(t *testing.T) {
	c := newTrackFileComponent(zap.NewNop(), func(string, int) {})
	cfg := &config.Config{TrackFiles: []*config.TrackFile{
		{Name: "x", File: filepath.Join(t.TempDir(), "no", "such", "dir", "x"), Weight: 1, InitFile: true},
	}}
	if err := c.Apply(context.Background(), cfg); err == nil {
		t.Error("init_file in a missing directory: no error")
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Values that arrive before the router exists are kept for it.
func TestVRRPComponentRemembersTrackFiles(t *testing.T) {
	c := newVRRPComponent(zap.NewNop(), nil, nil, nil, nil, nil)
	c.SetTrackFile("maint", -100)
	c.SetTrackFile("maint", -254)
	if c.files["maint"] != -254 {
		t.Errorf("remembered %d", c.files["maint"])
	}
}

func TestVRRPConfigTrackFiles(t *testing.T) {
	cfg := &config.Config{Instances: []*config.Instance{{
		Name: "VI_1", Interface: "eth0", VRID: 1, Priority: 150, UnicastSrcIP: netip.MustParseAddr("192.0.2.1"),
		TrackFiles: []config.TrackedFile{{Name: "maint", Weight: 1}, {Name: "drain", Weight: -2}},
	}}}
	vc := vrrpConfig(cfg)
	want := []vrrp.TrackFile{{Name: "maint", Weight: 1}, {Name: "drain", Weight: -2}}
	if diff := cmp.Diff(want, vc.Instances[0].TrackFiles); diff != "" {
		t.Errorf("track files (-want +got):\n%s", diff)
	}
}
