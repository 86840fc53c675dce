package checker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestParseTrackValue(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"", 0, nil},
		{"0\n", 0, nil},
		{"42\n", 42, nil},
		{"  -7 trailing words", -7, nil},
		{"+3", 3, nil},
		{"0x1f", 31, nil},
		{"0X1F", 31, nil},
		{"010", 8, nil}, // octal, as strtol base 0
		{"09", 0, nil},  // an octal 0 followed by a stop
		{"0x", 0, nil},  // "0" then a stop
		{"abc", 0, nil},
		{"2147483648", 2147483648, nil},
		{"-2147483648", -2147483648, nil},
		{"2147483649", 0, ErrTrackValue},
		{"-2147483649", 0, ErrTrackValue},
		{"99999999999999999999999", 0, ErrTrackValue},
	}
	for _, tt := range tests {
		got, err := parseTrackValue([]byte(tt.in))
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%q: %d %v, want %d %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzParseTrackValue: whatever a file holds, the value is in range or
// the error says so; a plain decimal rendering reads back the same.
func FuzzParseTrackValue(f *testing.F) {
	for _, s := range []string{"0", "-1", "0x10", "017", " 5\n", "junk"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseTrackValue(b)
		if err != nil {
			return
		}
		if v < -1<<31 || v > 1<<31 {
			t.Fatalf("%q: %d out of range", b, v)
		}
		if v2, err := parseTrackValue([]byte(strconv.FormatInt(v, 10))); err != nil || v2 != v {
			t.Fatalf("%q: %d -> %d %v", b, v, v2, err)
		}
	})
}

func TestFileVerdict(t *testing.T) {
	tests := []struct {
		v      int64
		spec   FileSpec
		ok     bool
		weight int
	}{
		{0, FileSpec{Weight: 0, BaseWeight: 5}, true, 5},
		{1, FileSpec{Weight: 0, BaseWeight: 5}, false, 0},
		{0, FileSpec{Weight: 0, Reverse: true, BaseWeight: 5}, false, 0},
		{3, FileSpec{Weight: 0, Reverse: true, BaseWeight: 5}, true, 5},
		{2, FileSpec{Weight: 10, BaseWeight: 5}, true, 25},
		{2, FileSpec{Weight: 10, Reverse: true, BaseWeight: 5}, true, 0},     // -20 + 5, bounded at 0
		{-1, FileSpec{Weight: -3, BaseWeight: 5}, true, 8},                   // -1 × -3
		{1, FileSpec{Weight: -65535, BaseWeight: 5}, true, 0},                // not yet the fault state
		{2, FileSpec{Weight: -65535, BaseWeight: 5}, false, 0},               // -131070 bounded to fault
		{70000, FileSpec{Weight: 1, BaseWeight: 65535}, true, ipvsMaxWeight}, // bounded above
	}
	for _, tt := range tests {
		r := fileVerdict(tt.v, tt.spec)
		if r.OK != tt.ok || (r.OK && (r.Weight == nil || *r.Weight != tt.weight)) {
			t.Errorf("v=%d %+v: %+v, want ok=%v weight %d", tt.v, tt.spec, r, tt.ok, tt.weight)
		}
	}
}

// TestFileCheck reads a real file as an operator changes it.
func TestFileCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "maint")
	c, err := New(Spec{ID: "f", Kind: KindFile, File: &FileSpec{Path: path, Weight: -10, BaseWeight: 20}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(content string, ok bool, weight int, reason string) {
		t.Helper()
		if content != "-" {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r := c.Check(context.Background())
		got := "nil"
		if r.Weight != nil {
			got = fmt.Sprint(*r.Weight)
		}
		if r.OK != ok || (ok && got != fmt.Sprint(weight)) || (!ok && r.Reason != reason) {
			t.Errorf("file %q: ok=%v weight=%s %q, want ok=%v weight=%d %q", content, r.OK, got, r.Reason, ok, weight, reason)
		}
	}
	check("-", true, 20, "") // missing: 0
	check("1\n", true, 10, "")
	check("3\n", true, 0, "")
	check("7000\n", false, 0, "file says 7000 (fault)")
	check("0\n", true, 20, "")
	check("4294967296\n", false, 0, path+": number out of range")
}
