package control

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestNoSecrets builds every output the control socket can give from a
// config holding every kind of secret and looks for each secret in it.
func TestNoSecrets(t *testing.T) {
	in := fixtureInput()
	snap := Build(in)
	src := &fakeSource{snap: snap, cfg: in.Config}
	_, path := startServer(t, src)

	outputs := map[string][]byte{}
	for _, cmd := range []string{CmdStatus, CmdDump} {
		raw, err := Request(path, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		outputs[cmd] = raw
	}
	var text bytes.Buffer
	if err := FormatStatus(&text, snap); err != nil {
		t.Fatal(err)
	}
	outputs["status text"] = text.Bytes()

	for name, out := range outputs {
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s output contains secret %q", name, s)
			}
		}
	}

	// The dump still shows that each secret is set, and everything else.
	var d Dump
	if err := json.Unmarshal(outputs[CmdDump], &d); err != nil {
		t.Fatal(err)
	}
	if d.Config == nil {
		t.Fatal("dump has no config")
	}
	n := d.Config.Global.Notification
	checks := map[string]string{
		"auth_pass":      d.Config.Instances[0].AuthPass,
		"email password": n.Email.Password,
		"webhook secret": n.Webhooks[0].Secret,
		"webhook header": n.Webhooks[0].Headers["Authorization"],
	}
	for what, got := range checks {
		if got != Redacted {
			t.Errorf("dump %s = %q, want %q", what, got, Redacted)
		}
	}
	if u := n.Webhooks[0].URL; u != "https://user:xxxxx@hooks.example.com/(set)?(set)" {
		t.Errorf("dump webhook url = %q", u)
	}
	// url_path_safe keeps the path, not the fragment.
	if u := n.Webhooks[1].URL; u != "https://hooks.example.com/lbhad/events#(set)" {
		t.Errorf("dump url_path_safe webhook url = %q", u)
	}
	if d.Config.Global.RouterID != "lb1" || n.Email.Username != "lbhad" || d.Snapshot.RouterID != "lb1" {
		t.Errorf("dump lost non-secret fields: %+v", d.Config.Global)
	}

	// Redaction copies: the running config keeps its secrets.
	if in.Config.Instances[0].AuthPass != "AP-6e1x" || in.Config.Global.Notification.Email.Password != "SMTPpw-9f3a" ||
		in.Config.Global.Notification.Webhooks[0].Headers["Authorization"] != "Bearer HDRtok-0c9e" {
		t.Error("RedactConfig modified the live config")
	}
	if RedactConfig(nil) != nil {
		t.Error("RedactConfig(nil) != nil")
	}
}
