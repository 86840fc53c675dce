package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/script"
	"github.com/lbhad/lbhad/notify"
)

// hostProbe answers the questions about this machine that config.Host
// does not: the config package checks users and files to read; these
// are the interfaces and the paths the daemon creates. A fake in the
// tests stands in for the machine.
type hostProbe interface {
	// Interface returns nil when a network interface of that name exists.
	Interface(name string) error
	// Creatable returns nil when the daemon could create path: its
	// nearest existing ancestor is a directory this process may write.
	Creatable(path string) error
}

// hostDiags checks the interfaces the config names and the paths the
// daemon writes. A typo'd interface is an error, not a wait: the daemon
// would sit in INIT waiting for it, healthy to every outside look,
// never joining the election.
func hostDiags(cfg *config.Config, h hostProbe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ifaceErr := func(rng hcl.Range, where, name string) {
		if name == "" {
			return
		}
		if err := h.Interface(name); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown interface",
				Detail:   fmt.Sprintf("%s names interface %q, which does not exist on this host (%v); the instance would wait for it and never join the election. Use --offline to validate a file for another machine.", where, name, err),
				Subject:  rng.Ptr(),
			})
		}
	}
	for _, in := range cfg.Instances {
		where := fmt.Sprintf("vrrp_instance %q", in.Name)
		ifaceErr(in.Range, where, in.Interface)
		for _, t := range in.TrackInterfaces {
			ifaceErr(in.Range, where+" track_interface", t)
		}
		for _, v := range in.VIPs {
			// A VMAC is made by the daemon itself (use_vmac).
			if v.Dev != in.Interface && v.Dev != in.VMAC {
				ifaceErr(in.Range, where+" virtual_ipaddress "+v.Prefix.String()+" dev", v.Dev)
			}
		}
	}
	if sd := cfg.Global.LVSSyncDaemon; sd != nil {
		ifaceErr(sd.Range, "lvs_sync_daemon", sd.Interface)
	}
	for _, p := range []struct{ attr, path, def string }{
		{"state_file", cfg.Global.StateFile, config.DefaultStateFile},
		{"control_socket", cfg.Global.ControlSocket, config.DefaultControlSocket},
	} {
		path := p.path
		if path == "" {
			path = p.def
		}
		if err := h.Creatable(path); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unwritable " + p.attr,
				Detail:   fmt.Sprintf("global %s %q cannot be created here: %v.", p.attr, path, err),
			})
		}
	}
	return diags
}

// scriptErrs checks every script the config names as the daemon will
// run it: the command splits, and (unless offline) the program exists,
// is executable and, with enable_script_security, is safe.
func scriptErrs(cfg *config.Config, offline bool) []error {
	if !offline {
		errs := notify.ValidateScripts(cfg)
		for _, r := range notify.ScriptRefs(cfg) {
			argv, err := script.Split(r.Command)
			if err != nil {
				continue // reported by ValidateScripts
			}
			if err := executable(argv[0]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.Where, err))
			}
		}
		return errs
	}
	var errs []error
	for _, r := range notify.ScriptRefs(cfg) {
		if _, err := script.Split(r.Command); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Where, err))
		}
	}
	return errs
}

// executable finds a script's program as the runner will and checks
// that it can be executed.
func executable(name string) error {
	p, err := script.Resolve(name, false, nil)
	if err != nil {
		return err
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("script %s is not an executable file", p)
	}
	return nil
}

// nearestDir returns path's nearest existing ancestor directory, or an
// error naming the ancestor that exists but is not a directory.
func nearestDir(path string) (string, error) {
	dir := filepath.Dir(filepath.Clean(path))
	for {
		st, err := os.Stat(dir)
		switch {
		case err == nil && st.IsDir():
			return dir, nil
		case err == nil:
			return "", fmt.Errorf("%s is not a directory", dir)
		case !os.IsNotExist(err):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no directory of %s exists", path)
		}
		dir = parent
	}
}
