package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// ipvsMaxWeight is the largest IPVS weight; a file_check value that
// brings the weight to -(ipvsMaxWeight+1) or below is keepalived's fault
// state.
const ipvsMaxWeight = 65535

// ErrTrackValue is returned by parseTrackValue for a number outside the
// range keepalived accepts in a tracked file.
var ErrTrackValue = errors.New("number out of range")

type fileChecker struct{ spec FileSpec }

func newFile(s Spec) (*fileChecker, error) {
	if s.File == nil || s.File.Path == "" {
		return nil, errors.New("file_check needs a file")
	}
	return &fileChecker{spec: *s.File}, nil
}

// Check reads the file once. A missing or empty file counts as 0, as in
// keepalived. keepalived keeps the last value when the number is out of
// range; a check here keeps no state, so it fails instead, saying why.
func (c *fileChecker) Check(context.Context) Result {
	v, err := readTrackFile(c.spec.Path)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	return fileVerdict(v, c.spec)
}

func readTrackFile(path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	buf := make([]byte, 127) // keepalived reads at most this much
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	v, err := parseTrackValue(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// parseTrackValue reads a tracked file's number as C's strtol with base
// 0 does, as keepalived reads it: leading blanks, a sign, then decimal,
// 0x hexadecimal or 0 octal digits, stopping at the first other byte;
// no digits is 0. It returns ErrTrackValue outside -2^31..2^31.
func parseTrackValue(b []byte) (int64, error) {
	s := strings.TrimLeft(string(b), " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isDigit(s[2], 16):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	end := 0
	for end < len(s) && isDigit(s[end], base) {
		end++
	}
	if end == 0 {
		return 0, nil
	}
	u, err := strconv.ParseUint(s[:end], base, 64)
	if err != nil || u > math.MaxInt32+1 {
		return 0, ErrTrackValue
	}
	v := int64(u)
	if neg {
		v = -v
	}
	if v < math.MinInt32 || v > math.MaxInt32+1 {
		return 0, ErrTrackValue
	}
	return v, nil
}

func isDigit(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case base == 16 && c >= 'a' && c <= 'f', base == 16 && c >= 'A' && c <= 'F':
		return true
	}
	return false
}

// fileVerdict applies keepalived's FILE_CHECK rule to the file's value
// v. With weight 0 the file is a flag: any number but 0 takes the real
// server down (reverse: 0 does). Otherwise v × weight (negated by
// reverse), bounded to -65536..65535, is added to the configured weight:
// -65536 is the fault state (down); any other sum gives the weight,
// bounded to 0..65535.
func fileVerdict(v int64, s FileSpec) Result {
	if s.Weight == 0 {
		if (v != 0) != s.Reverse {
			return Result{Reason: fmt.Sprintf("file says %d", v)}
		}
		w := s.BaseWeight
		return Result{OK: true, Weight: &w}
	}
	mult := int64(1)
	if s.Reverse {
		mult = -1
	}
	delta := min(max(v*int64(s.Weight)*mult, -ipvsMaxWeight-1), ipvsMaxWeight)
	if delta == -ipvsMaxWeight-1 {
		return Result{Reason: fmt.Sprintf("file says %d (fault)", v)}
	}
	w := int(min(max(int64(s.BaseWeight)+delta, 0), ipvsMaxWeight))
	return Result{OK: true, Weight: &w}
}
