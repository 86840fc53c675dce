//go:build unix

package notify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/internal/script/scripttest"
)

// writeScript writes an executable shell script in a fresh private
// directory and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	return scripttest.Write(t, "notify.sh", body)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestKeepalivedScriptArguments(t *testing.T) {
	out := filepath.Join(t.TempDir(), "calls")
	rec := writeScript(t, `echo "$*" >> `+out)
	cfg := baseConfig()
	cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{
		Master: rec + " master 'two words'", Backup: rec + " backup", Fault: rec + " fault", Stop: rec + " stop", Generic: rec}}}
	cfg.SyncGroups = []*config.SyncGroup{{Name: "G1", Notify: config.NotifyScripts{Master: rec + " group-master", Generic: rec}}}
	cfg.VirtualServers = []*config.VirtualServer{{Name: "web", QuorumUp: rec + " quorum-up", QuorumDown: rec + " quorum-down",
		RealServers: []*config.RealServer{{Name: "w1", NotifyUp: rec + " up w1", NotifyDown: rec + " down w1"}}}}
	d, _ := newTest(t, cfg)

	steps := []struct {
		e    Event
		want []string
	}{
		{Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER", Priority: 150}, []string{"master two words", "INSTANCE VI_1 MASTER 150"}},
		{Event{Kind: InstanceState, Instance: "VI_1", NewState: "BACKUP", Priority: 100}, []string{"backup", "INSTANCE VI_1 BACKUP 100"}},
		{Event{Kind: InstanceState, Instance: "VI_1", NewState: "FAULT", Priority: 0}, []string{"fault", "INSTANCE VI_1 FAULT 0"}},
		{Event{Kind: InstanceState, Instance: "VI_1", NewState: "STOP", Priority: 100}, []string{"stop", "INSTANCE VI_1 STOP 100"}},
		{Event{Kind: GroupState, Group: "G1", NewState: "MASTER", Priority: 150}, []string{"group-master", "GROUP G1 MASTER 0"}}, // keepalived: 0 for groups
		{Event{Kind: GroupState, Group: "G1", NewState: "BACKUP"}, []string{"GROUP G1 BACKUP 0"}},                                // no notify_backup: generic only
		{Event{Kind: RealServerDown, VirtualServer: "web", RealServer: "w1"}, []string{"down w1"}},
		{Event{Kind: RealServerUp, VirtualServer: "web", RealServer: "w1"}, []string{"up w1"}},
		{Event{Kind: QuorumLost, VirtualServer: "web"}, []string{"quorum-down"}},
		{Event{Kind: QuorumRegained, VirtualServer: "web"}, []string{"quorum-up"}},
		{Event{Kind: InstanceState, Instance: "unknown", NewState: "MASTER"}, nil},
		{Event{Kind: DaemonStart}, nil},
	}
	var want []string
	for _, s := range steps {
		d.Notify(s.e)
		want = append(want, s.want...)
		// One at a time: different targets run concurrently, so only
		// waiting makes the file's order comparable.
		waitStats(t, d, "scripts", func(st Stats) bool { return int(st["script"].Delivered+st["script"].Failed) == len(want) })
	}
	if s := d.Stats(); s["script"].Failed != 0 {
		t.Errorf("script failures: %+v", s["script"])
	}
	if diff := cmp.Diff(want, readLines(t, out)); diff != "" {
		t.Errorf("script calls (-want +got):\n%s", diff)
	}
}

func TestScriptOrderUnderBurst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "calls")
	rec := writeScript(t, `echo "$3 $4" >> `+out)
	cfg := baseConfig()
	cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{Generic: rec}}}
	d, _ := newTest(t, cfg, WithScriptQueueSize(1000))
	const n = 1000
	start := time.Now()
	var want []string
	for i := 0; i < n; i++ {
		st := []string{"MASTER", "BACKUP", "FAULT"}[i%3]
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: st, Priority: i})
		want = append(want, fmt.Sprintf("%s %d", st, i))
	}
	t.Logf("%d Notify calls took %v", n, time.Since(start))
	s := waitStats(t, d, "all scripts", func(s Stats) bool { return s["script"].Delivered+s["script"].Failed+s["script"].Dropped == n })
	t.Logf("%d scripts ran in %v", n, time.Since(start))
	if s["script"].Dropped != 0 || s["script"].Failed != 0 {
		t.Errorf("stats %+v: want all %d delivered", s["script"], n)
	}
	if diff := cmp.Diff(want, readLines(t, out)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestScriptQueueDropsOldest(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	out := filepath.Join(dir, "calls")
	// The first call waits for the gate so the rest pile up.
	rec := writeScript(t, `while [ ! -e `+gate+` ]; do sleep 0.01; done; echo "$4" >> `+out)
	cfg := baseConfig()
	cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{Generic: rec}}}
	d, _ := newTest(t, cfg, WithScriptQueueSize(3))
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER", Priority: 0})
	waitStats(t, d, "first script started", func(s Stats) bool { return s["script"].InFlight == 1 })
	for i := 1; i <= 10; i++ {
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER", Priority: i})
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := waitStats(t, d, "scripts", func(s Stats) bool { return s["script"].Delivered+s["script"].Failed == 4 })
	if s["script"].Dropped != 7 {
		t.Errorf("dropped %d, want 7", s["script"].Dropped)
	}
	if diff := cmp.Diff([]string{"0", "8", "9", "10"}, readLines(t, out)); diff != "" {
		t.Errorf("calls (-want +got): the newest must survive\n%s", diff)
	}
}

func TestScriptTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	rec := writeScript(t, "sleep 60 &\necho $! > "+pidFile+"\nwait")
	cfg := baseConfig()
	cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{Master: rec}}}
	d, logs := newTest(t, cfg, WithScriptTimeout(300*time.Millisecond))
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER"})
	waitStats(t, d, "timeout", func(s Stats) bool { return s["script"].Failed == 1 })
	if logs.FilterMessage("notification failed").Len() != 1 || !strings.Contains(toString(logs.All()[0].ContextMap()["error"]), "timeout") {
		t.Errorf("log does not say timeout: %+v", logs.All())
	}
	pid := scripttest.ReadPID(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	deadline := time.Now().Add(5 * time.Second)
	for scripttest.Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("background child %d of the script survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestScriptSecurity(t *testing.T) {
	good := writeScript(t, "true")

	worldWritable := writeScript(t, "true")
	if err := os.Chmod(worldWritable, 0o757); err != nil {
		t.Fatal(err)
	}

	openDir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(openDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(openDir, 0o777); err != nil {
		t.Fatal(err)
	}
	inOpenDir := filepath.Join(openDir, "notify.sh")
	if err := os.WriteFile(inOpenDir, []byte("#!/bin/sh\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	stickyDir := filepath.Join(t.TempDir(), "sticky")
	if err := os.Mkdir(stickyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(stickyDir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	inSticky := filepath.Join(stickyDir, "notify.sh")
	if err := os.WriteFile(inSticky, []byte("#!/bin/sh\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	link := filepath.Join(t.TempDir(), "link.sh")
	if err := os.Symlink(inOpenDir, link); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path string
		insecure   bool
	}{
		{"private file", good, false},
		{"world-writable file", worldWritable, true},
		{"file in world-writable directory", inOpenDir, true},
		{"file in sticky world-writable directory", inSticky, false},
		{"symlink to a file in a world-writable directory", link, true},
		{"bare name looked up in PATH", "sh", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckScriptSecurity(tt.path)
			if got := errors.Is(err, ErrInsecureScript); got != tt.insecure || (!tt.insecure && err != nil) {
				t.Errorf("CheckScriptSecurity(%s) = %v, want insecure=%v", tt.path, err, tt.insecure)
			}
		})
	}

	t.Run("dispatcher refuses and ValidateScripts reports", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		bad := filepath.Join(openDir, "touch.sh")
		if err := os.WriteFile(bad, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := baseConfig()
		cfg.Global.EnableScriptSecurity = true
		cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{Master: bad, Backup: good}}}
		cfg.VirtualServers = []*config.VirtualServer{{Name: "web", QuorumDown: "/x 'unterminated"}}
		d, _ := newTest(t, cfg)
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER"})
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "BACKUP"})
		s := waitStats(t, d, "scripts", func(s Stats) bool { return s["script"].Delivered+s["script"].Failed == 2 })
		if s["script"].Failed != 1 || s["script"].Delivered != 1 {
			t.Errorf("stats %+v: want the insecure script refused and the good one run", s["script"])
		}
		if _, err := os.Stat(marker); err == nil {
			t.Error("the insecure script ran")
		}
		errs := ValidateScripts(cfg)
		if len(errs) != 2 || !errors.Is(errs[0], ErrInsecureScript) || !errors.Is(errs[1], ErrUnterminatedQuote) {
			t.Errorf("ValidateScripts = %v, want the insecure notify_master and the bad quorum_down", errs)
		}
		for _, e := range errs {
			t.Logf("validate: %v", e)
		}
		cfg.Global.EnableScriptSecurity = false
		if errs := ValidateScripts(cfg); len(errs) != 1 {
			t.Errorf("without script security ValidateScripts = %v, want only the split error", errs)
		}
	})
}

func TestScriptUser(t *testing.T) {
	if _, err := New(&config.Config{Global: config.Global{ScriptUser: "no-such-user-lbhad"}}, nil); err == nil {
		t.Error("New accepted an unknown script_user")
	}
	netnstest.RequireRoot(t) // running scripts as another user
	// t.TempDir's parent is private to root; nobody needs a way in.
	dir, err := os.MkdirTemp("", "lbhad-notify-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "uid")
	if err := os.WriteFile(out, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o666); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "id.sh")
	if err := os.WriteFile(rec, []byte("#!/bin/sh\nid -u > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.Global.ScriptUser = "nobody"
	cfg.Instances = []*config.Instance{{Name: "VI_1", Notify: config.NotifyScripts{Master: rec}}}
	d, _ := newTest(t, cfg)
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER"})
	if s := waitStats(t, d, "script", func(s Stats) bool { return s["script"].Delivered+s["script"].Failed == 1 }); s["script"].Failed != 0 {
		t.Fatalf("script failed: %+v", s["script"])
	}
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got == "0" || got == "" {
		t.Errorf("script ran as uid %q, want nobody's", got)
	}
}
