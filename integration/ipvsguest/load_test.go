package ipvsguest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func ok(at int, server string) Sample { return Sample{Start: ms(at), Server: server} }
func bad(at int) Sample               { return Sample{Start: ms(at), Err: "connection refused"} }

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		samples  []Sample
		from, to int
		want     Window
	}{
		{
			name:    "steady",
			samples: []Sample{ok(0, "a"), ok(20, "b"), ok(40, "a"), ok(60, "b")},
			from:    0, to: 80,
			want: Window{Sent: 4, Gap: 20 * time.Millisecond, Servers: map[string]int{"a": 2, "b": 2}},
		},
		{
			name:    "outage in the middle",
			samples: []Sample{ok(0, "a"), bad(20), bad(40), bad(60), ok(80, "b"), ok(100, "b")},
			from:    0, to: 120,
			want: Window{Sent: 6, Failed: 3, Gap: 80 * time.Millisecond, FirstFail: ms(20), LastFail: ms(60),
				Servers: map[string]int{"a": 1, "b": 2}, Errors: map[string]int{"connection refused": 3}},
		},
		{
			name:    "outage from the window start",
			samples: []Sample{ok(0, "a"), bad(100), ok(1100, "b")},
			from:    50, to: 1200,
			want: Window{Sent: 2, Failed: 1, Gap: 1050 * time.Millisecond, FirstFail: ms(100), LastFail: ms(100),
				Servers: map[string]int{"b": 1}, Errors: map[string]int{"connection refused": 1}},
		},
		{
			name:    "no success at all: the whole window",
			samples: []Sample{bad(10)},
			from:    0, to: 500,
			want: Window{Sent: 1, Failed: 1, Gap: 500 * time.Millisecond, FirstFail: ms(10), LastFail: ms(10),
				Servers: map[string]int{}, Errors: map[string]int{"connection refused": 1}},
		},
		{
			name:    "end of the window counts",
			samples: []Sample{ok(0, "a"), ok(20, "a")},
			from:    0, to: 300,
			want: Window{Sent: 2, Gap: 280 * time.Millisecond, Servers: map[string]int{"a": 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.samples, ms(tt.from), ms(tt.to))
			tt.want.From, tt.want.To = ms(tt.from), ms(tt.to)
			if tt.want.Errors == nil {
				tt.want.Errors = map[string]int{}
			}
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Summarize (-want +got):\n%s", d)
			}
			if got.String() == "" {
				t.Error("empty String")
			}
		})
	}
}

func TestSteadySince(t *testing.T) {
	s := []Sample{ok(0, "a"), bad(20), ok(40, "a"), ok(60, "a"), ok(80, "a")}
	for _, tt := range []struct {
		since, n int
		want     bool
	}{
		{0, 3, true},   // the last three are fine
		{0, 4, false},  // reaches the failure
		{50, 3, false}, // one of the last three started before since
		{50, 2, true},
		{0, 6, false}, // not enough samples
	} {
		if got := SteadySince(s, ms(tt.since), tt.n); got != tt.want {
			t.Errorf("SteadySince(since %d ms, n %d) = %v, want %v", tt.since, tt.n, got, tt.want)
		}
	}
}

func TestLoadRecordsEveryRequest(t *testing.T) {
	var n atomic.Int32
	get := func(ctx context.Context) (string, error) {
		if n.Add(1)%2 == 0 {
			return "", errors.New("refused")
		}
		return "rs1", nil
	}
	l := StartLoad(get, time.Millisecond, time.Second, nil)
	deadline := time.Now().Add(5 * time.Second)
	for len(l.Samples()) < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	l.Stop()
	s := l.Samples()
	if len(s) < 10 {
		t.Fatalf("%d samples, want at least 10", len(s))
	}
	w := Summarize(s, s[0].Start, s[len(s)-1].Start.Add(time.Nanosecond))
	if w.Sent != len(s) || w.Failed+w.Servers["rs1"] != w.Sent || w.Failed == 0 || w.Servers["rs1"] == 0 {
		t.Errorf("window %v over %d samples", w, len(s))
	}
	for i := 1; i < len(s); i++ {
		if s[i].Start.Before(s[i-1].Start) {
			t.Fatalf("samples not ordered by start at %d", i)
		}
	}
}

// firstHangs is a request function whose first request hangs until its
// timeout and every later one is answered by rs1.
func firstHangs() Get {
	var n atomic.Int32
	return func(ctx context.Context) (string, error) {
		if n.Add(1) == 1 {
			<-ctx.Done()
			return "", ctx.Err()
		}
		return "rs1", nil
	}
}

func TestLoadHungRequestDoesNotStopTheStream(t *testing.T) {
	l := StartLoad(firstHangs(), time.Millisecond, 200*time.Millisecond, nil)
	time.Sleep(50 * time.Millisecond)
	if got := len(l.Samples()); got == 0 {
		t.Error("no request finished while the first one hung")
	}
	time.Sleep(300 * time.Millisecond)
	l.Stop()
	w := Summarize(l.Samples(), t0, time.Now().Add(time.Hour))
	if w.Failed != 1 {
		t.Errorf("failed %d, want the one timed-out request: %v", w.Failed, w)
	}
}

// TestLoadWaitFinished: a window's requests still in flight are waited
// for, so the one that times out is counted.
func TestLoadWaitFinished(t *testing.T) {
	l := StartLoad(firstHangs(), time.Millisecond, 300*time.Millisecond, nil)
	defer l.Stop()
	time.Sleep(50 * time.Millisecond)
	to := time.Now()
	if w := Summarize(l.Samples(), t0, to); w.Failed != 0 {
		t.Fatalf("the hung request finished early: %v", w)
	}
	if !l.WaitFinished(to, 5*time.Second) {
		t.Fatal("the requests started before to did not all finish")
	}
	if w := Summarize(l.Samples(), t0, to); w.Failed != 1 || w.Sent < 2 {
		t.Errorf("after WaitFinished: %v, want the timed-out request counted", w)
	}
}

// TestLoadWaitFinishedAfterStop: a request Stop cut short is never
// recorded, so once stopped nothing is waited for.
func TestLoadWaitFinishedAfterStop(t *testing.T) {
	get := func(ctx context.Context) (string, error) {
		<-ctx.Done() // every request hangs until its timeout
		return "", ctx.Err()
	}
	l := StartLoad(get, time.Millisecond, time.Hour, nil)
	time.Sleep(20 * time.Millisecond)
	l.Stop()
	start := time.Now()
	if !l.WaitFinished(time.Now(), 5*time.Second) || time.Since(start) > time.Second {
		t.Errorf("WaitFinished after Stop took %v", time.Since(start))
	}
}

// TestLongestGap: only gaps between two starts inside the window count,
// so a window that begins before the stream, or ends while requests
// are in flight, reports no stall.
func TestLongestGap(t *testing.T) {
	starts := []time.Time{ms(100), ms(120), ms(140), ms(1160), ms(1180)}
	for _, tt := range []struct {
		name     string
		from, to int
		want     time.Duration
	}{
		{"the stall inside", 0, 2000, 1020 * time.Millisecond},
		{"window begins before the stream", 0, 141, 20 * time.Millisecond},
		{"window ends long after the last start", 1150, 5000, 20 * time.Millisecond},
		{"one start: no gap", 1170, 1190, 0},
	} {
		if got := longestGap(starts, ms(tt.from), ms(tt.to)); got != tt.want {
			t.Errorf("%s: longestGap = %v, want %v", tt.name, got, tt.want)
		}
	}
	w := Window{From: ms(0), StartGap: 1020 * time.Millisecond}
	if s := w.String(); !strings.Contains(s, "stream itself stalled") {
		t.Errorf("String of a stalled window: %q", s)
	}
	w.StartGap = 40 * time.Millisecond
	if s := w.String(); strings.Contains(s, "stalled") {
		t.Errorf("String of a steady window: %q", s)
	}
}

// TestLoadRecordsStartsAsTheyHappen: a request still hanging is already
// in the starts, so a window computed at once sees no false gap.
func TestLoadRecordsStartsAsTheyHappen(t *testing.T) {
	get := func(ctx context.Context) (string, error) {
		<-ctx.Done() // every request hangs until its timeout
		return "", ctx.Err()
	}
	from := time.Now()
	l := StartLoad(get, 5*time.Millisecond, 10*time.Second, nil)
	time.Sleep(200 * time.Millisecond)
	to := time.Now()
	if n := len(l.Samples()); n != 0 {
		t.Fatalf("%d samples finished, want none yet", n)
	}
	gap := l.StartGap(from, to)
	l.Stop()
	if gap <= 0 || gap >= stallShown {
		t.Errorf("StartGap of a running stream of hanging requests = %v, want a few intervals", gap)
	}
}
