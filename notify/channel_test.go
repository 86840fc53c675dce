package notify

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

// routingPlan has one opted-in and one quiet target of each kind.
func routingPlan(t *testing.T, email bool) *plan {
	t.Helper()
	cfg := baseConfig()
	if email {
		cfg.Global.Notification.Email = &config.Email{Server: "localhost:25"}
	}
	cfg.Instances = []*config.Instance{
		{Name: "VI_1", SMTPAlert: true, Notify: config.NotifyScripts{Master: "/m", Generic: "/g"}},
		{Name: "VI_quiet"},
	}
	cfg.SyncGroups = []*config.SyncGroup{{Name: "G1", SMTPAlert: true, Notify: config.NotifyScripts{Backup: "/gb"}}, {Name: "G_quiet"}}
	cfg.VirtualServers = []*config.VirtualServer{{Name: "vs1", QuorumUp: "/qu",
		RealServers: []*config.RealServer{{Name: "rs1", NotifyDown: "/down"}}}}
	p, err := buildPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestChannelRouting steps every event kind through the mail and script
// channels' Wants and the script channel's target and command lines.
func TestChannelRouting(t *testing.T) {
	for _, tt := range []struct {
		name        string
		e           Event
		mail        bool // with email configured
		scripts     bool
		key         string
		cmds, extra []string
	}{
		{"instance master", Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER", Priority: 100}, true, true,
			"instance\x00VI_1", []string{"/m", "/g"}, []string{"INSTANCE", "VI_1", "MASTER", "100"}},
		{"instance backup: generic only", Event{Kind: InstanceState, Instance: "VI_1", NewState: "backup", Priority: 90}, true, true,
			"instance\x00VI_1", []string{"", "/g"}, []string{"INSTANCE", "VI_1", "BACKUP", "90"}},
		{"instance init calls nothing", Event{Kind: InstanceState, Instance: "VI_1", NewState: "INIT"}, true, false,
			"instance\x00VI_1", nil, nil},
		{"quiet instance", Event{Kind: InstanceState, Instance: "VI_quiet", NewState: "MASTER"}, false, false,
			"instance\x00VI_quiet", []string{"", ""}, []string{"INSTANCE", "VI_quiet", "MASTER", "0"}},
		{"unknown instance", Event{Kind: InstanceState, Instance: "nope", NewState: "MASTER"}, false, false, "", nil, nil},
		{"group backup, priority 0", Event{Kind: GroupState, Group: "G1", NewState: "BACKUP", Priority: 50}, true, true,
			"group\x00G1", []string{"/gb", ""}, []string{"GROUP", "G1", "BACKUP", "0"}},
		{"quiet group", Event{Kind: GroupState, Group: "G_quiet", NewState: "BACKUP"}, false, false,
			"group\x00G_quiet", []string{"", ""}, []string{"GROUP", "G_quiet", "BACKUP", "0"}},
		{"real server down", Event{Kind: RealServerDown, VirtualServer: "vs1", RealServer: "rs1"}, true, true,
			"rs\x00vs1\x00rs1", []string{"/down"}, nil},
		{"real server up, no script", Event{Kind: RealServerUp, VirtualServer: "vs1", RealServer: "rs1"}, true, false,
			"rs\x00vs1\x00rs1", []string{""}, nil},
		{"quorum regained", Event{Kind: QuorumRegained, VirtualServer: "vs1"}, true, true, "vs\x00vs1", []string{"/qu"}, nil},
		{"quorum lost, no script", Event{Kind: QuorumLost, VirtualServer: "vs1"}, true, false, "vs\x00vs1", []string{""}, nil},
		{"daemon start", Event{Kind: DaemonStart}, false, false, "", nil, nil},
		{"daemon stop", Event{Kind: DaemonStop}, false, false, "", nil, nil},
		{"daemon reload", Event{Kind: DaemonReload}, false, false, "", nil, nil},
		{"maintenance", Event{Kind: Maintenance}, false, false, "", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := routingPlan(t, true)
			if got := (mailChannel{p: p}).Wants(tt.e); got != tt.mail {
				t.Errorf("mail Wants = %v, want %v", got, tt.mail)
			}
			if (mailChannel{p: routingPlan(t, false)}).Wants(tt.e) {
				t.Error("mail Wants without email configured")
			}
			sc := scriptChannel{p: p}
			if got := sc.Wants(tt.e); got != tt.scripts {
				t.Errorf("script Wants = %v, want %v", got, tt.scripts)
			}
			key, cmds, extra := sc.scripts(tt.e)
			if diff := cmp.Diff([]any{tt.key, tt.cmds, tt.extra}, []any{key, cmds, extra}); diff != "" {
				t.Errorf("target, commands, arguments (-want +got):\n%s", diff)
			}
			if !(webhookChannel{}).Wants(tt.e) {
				t.Error("a webhook must want every event")
			}
		})
	}
}
