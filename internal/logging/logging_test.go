package logging

import (
	"bytes"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestEncoderChoice logs the same entries through each format, on a
// terminal and to the journal, and checks the shape of each line: the
// journal gets a priority prefix and no time, elsewhere a time and no
// prefix; durations are text everywhere.
func TestEncoderChoice(t *testing.T) {
	isoTime := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z?[+-]?[\d:]*`
	tests := []struct {
		name string
		opts Options
		want []string // one regexp per line: info, warn, error
	}{
		{"console on a terminal", Options{Format: "console", Level: "info"}, []string{
			`^` + isoTime + `\tINFO\tsynced\t\{"took": "2s"\}$`,
			`^` + isoTime + `\tWARN\tslow\t\{"took": "1m30s"\}$`,
			`^` + isoTime + `\tERROR\tfailed\t\{"error": "boom"\}$`,
		}},
		{"console to the journal", Options{Format: "console", Level: "info", Journal: true}, []string{
			`^<6>INFO\tsynced\t\{"took": "2s"\}$`,
			`^<4>WARN\tslow\t\{"took": "1m30s"\}$`,
			`^<3>ERROR\tfailed\t\{"error": "boom"\}$`,
		}},
		{"json elsewhere", Options{Format: "json", Level: "info"}, []string{
			`^\{"level":"info","ts":"` + isoTime + `","msg":"synced","took":"2s"\}$`,
			`^\{"level":"warn","ts":"` + isoTime + `","msg":"slow","took":"1m30s"\}$`,
			`^\{"level":"error","ts":"` + isoTime + `","msg":"failed","error":"boom"\}$`,
		}},
		{"json to the journal", Options{Format: "json", Level: "info", Journal: true}, []string{
			`^<6>\{"level":"info","msg":"synced","took":"2s"\}$`,
			`^<4>\{"level":"warn","msg":"slow","took":"1m30s"\}$`,
			`^<3>\{"level":"error","msg":"failed","error":"boom"\}$`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(tt.opts, &buf)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("hidden at info")
			log.Info("synced", zap.Duration("took", 2*time.Second))
			log.Warn("slow", zap.Duration("took", 90*time.Second))
			log.Error("failed", zap.Error(errors.New("boom")))
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.want), buf.String())
			}
			for i, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("line %d\n got %q\nwant %s", i, lines[i], re)
				}
			}
		})
	}
}

// TestPriorityPrefix: every level has sd-daemon's priority, and every
// line of a multi-line message carries it, as journald reads each line
// as a record of its own.
func TestPriorityPrefix(t *testing.T) {
	for _, tc := range []struct {
		l    zapcore.Level
		want int
	}{
		{zapcore.DebugLevel, 7}, {zapcore.InfoLevel, 6}, {zapcore.WarnLevel, 4}, {zapcore.ErrorLevel, 3},
		{zapcore.DPanicLevel, 2}, {zapcore.PanicLevel, 2}, {zapcore.FatalLevel, 2},
	} {
		if got := Priority(tc.l); got != tc.want {
			t.Errorf("Priority(%v) = %d, want %d", tc.l, got, tc.want)
		}
	}
	var buf bytes.Buffer
	log, err := New(Options{Format: "console", Level: "debug", Journal: true}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Error("config problem\nline two\nline three")
	log.Debug("d")
	want := "<3>ERROR\tconfig problem\n<3>line two\n<3>line three\n<7>DEBUG\td\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(Options{Format: "xml", Level: "info"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("format xml: %v", err)
	}
	if _, err := New(Options{Format: "console", Level: "loud"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("level loud: %v", err)
	}
}

func TestMatchJournalStream(t *testing.T) {
	for _, tc := range []struct {
		env      string
		dev, ino uint64
		want     bool
	}{
		{"8:12345", 8, 12345, true},
		{"8:12345", 8, 12346, false},
		{"9:12345", 8, 12345, false},
		{"", 0, 0, false},
		{"8", 8, 0, false},
		{"8:", 8, 0, false},
		{"x:1", 0, 1, false},
		{"8:12345:1", 8, 12345, false},
		{"-1:5", 0, 5, false},
	} {
		if got := MatchJournalStream(tc.env, tc.dev, tc.ino); got != tc.want {
			t.Errorf("MatchJournalStream(%q, %d, %d) = %v, want %v", tc.env, tc.dev, tc.ino, got, tc.want)
		}
	}
}

// TestJournalStream compares JOURNAL_STREAM with a real file's device
// and inode, as systemd sets it for the stream it hands the service.
func TestJournalStream(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dev, ino, ok := fileID(f)
	if !ok {
		t.Skip("no device and inode on this system")
	}
	other, err := os.CreateTemp(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t.Setenv("JOURNAL_STREAM", strconv.FormatUint(dev, 10)+":"+strconv.FormatUint(ino, 10))
	if !JournalStream(f) {
		t.Error("stderr is the journal stream, JournalStream says no")
	}
	if JournalStream(other) {
		t.Error("stderr redirected elsewhere, JournalStream says yes")
	}
	if JournalStream(nil) {
		t.Error("nil file matched")
	}
	t.Setenv("JOURNAL_STREAM", "")
	if JournalStream(f) {
		t.Error("JOURNAL_STREAM unset, JournalStream says yes")
	}
}

// TestRouteLogrus: what a library logs through logrus arrives in zap
// with its level and fields, and nothing reaches logrus's own output.
func TestRouteLogrus(t *testing.T) {
	var buf, leaked bytes.Buffer
	log, err := New(Options{Format: "json", Level: "info"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	l := logrus.New()
	l.SetOutput(&leaked)
	routeLogrus(l, log)
	l.Debug("below zap's level")
	l.Warnf("Running modprobe ip_vs failed with message: `%s`", "not found")
	l.WithError(errors.New("no family")).WithField("family", "IPVS").Error("Could not get ipvs family information")
	got := buf.String()
	for _, want := range []string{
		`"level":"warn"`, `"component":"logrus"`, "Running modprobe ip_vs failed with message: `not found`",
		`"level":"error"`, `"msg":"Could not get ipvs family information"`, `"error":"no family"`, `"family":"IPVS"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("zap output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "below zap's level") {
		t.Errorf("a debug entry passed an info logger:\n%s", got)
	}
	if leaked.Len() != 0 {
		t.Errorf("logrus still wrote itself: %q", leaked.String())
	}
}
