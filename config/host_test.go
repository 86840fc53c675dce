package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeHost knows a fixed set of users and readable files.
type fakeHost struct {
	users map[string]bool
	files map[string]bool
}

func (h fakeHost) LookupUser(name string) error {
	if h.users[name] {
		return nil
	}
	return errors.New("unknown user")
}

func (h fakeHost) Readable(path string) error {
	if h.files[path] {
		return nil
	}
	return errors.New("no such file")
}

// fakeHost's kernel has every scheduler but twos.
func (h fakeHost) HasScheduler(name string) (bool, bool) { return name != "twos", true }

// The host checks name every user and file the daemon would need, at
// the position of the value, and only when a Host is given.
func TestHostChecks(t *testing.T) {
	full := filepath.Join("testdata", "good", "full.hcl")
	all := fakeHost{
		users: map[string]bool{"lbhad_script": true, "nobody": true},
		files: map[string]bool{"/etc/ssl/ca.pem": true},
	}
	tests := []struct {
		name string
		host Host
		want []string
	}{
		{"no host asks nothing", nil, nil},
		{"everything present", all, nil},
		{"nothing present", fakeHost{}, []string{
			"testdata/good/full.hcl:4:28: error: Unknown user",
			"testdata/good/full.hcl:47:14: error: Unknown user",
			"testdata/good/full.hcl:121:28: error: Unreadable ca_file",
			"testdata/good/full.hcl:159:22: error: Unknown user",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := LoadFileWith(full, Options{Host: tt.host})
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%s:%d:%d: error: %s", filepath.ToSlash(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if (cfg == nil) != (len(tt.want) > 0) {
				t.Errorf("cfg nil = %v with %d errors", cfg == nil, len(tt.want))
			}
		})
	}
}
