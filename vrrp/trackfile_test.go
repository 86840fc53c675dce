package vrrp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestParseTrackFile(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"\n", 0, false},
		{"0\n", 0, false},
		{"-100\n", -100, false},
		{"  42  ", 42, false},
		{"+7", 7, false},
		{"-254", -254, false},
		{"0x10", 16, false},
		{"2147483647", 1<<31 - 1, false},
		{"2147483648", 0, true},
		{"maint", 0, true},
		{"1 2", 0, true},
		{"-", 0, true},
		{"1.5", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTrackFile([]byte(tc.in))
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("ParseTrackFile(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzParseTrackFile(f *testing.F) {
	for _, s := range []string{"", "0", "-254\n", "0x7f", "junk", "99999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseTrackFile(b)
		if err != nil && v != 0 {
			t.Fatalf("error with value %d", v)
		}
		if v < -1<<31 || v > 1<<31-1 {
			t.Fatalf("value %d out of int32", v)
		}
	})
}

func TestReadTrackFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if v, err := ReadTrackFile(filepath.Join(dir, "missing")); v != 0 || err != nil {
		t.Errorf("missing file: %d, %v; want 0, nil", v, err)
	}
	if v, err := ReadTrackFile(write("n", "-100\n")); v != -100 || err != nil {
		t.Errorf("-100: %d, %v", v, err)
	}
	if v, err := ReadTrackFile(write("bad", "on\n")); v != 0 || err == nil {
		t.Errorf("non-number: %d, %v; want 0 and an error", v, err)
	}
	// A directory cannot be read: 0, with the reason.
	if v, err := ReadTrackFile(dir); v != 0 || err == nil {
		t.Errorf("directory: %d, %v; want 0 and an error", v, err)
	}
	if os.Geteuid() != 0 {
		p := write("secret", "5")
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		if v, err := ReadTrackFile(p); v != 0 || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("unreadable: %d, %v; want 0, permission error", v, err)
		}
	}
}
