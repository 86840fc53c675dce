package checker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestHTTPURLs: with url blocks every URL is fetched, each with its own
// Host header and expectations, and the check fails at the first URL
// that does not pass, naming its path.
func TestHTTPURLs(t *testing.T) {
	var mu sync.Mutex
	status := map[string]int{"/a": 200, "/b": 200}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Host+" "+r.URL.Path)
		w.WriteHeader(status[r.URL.Path])
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	defer srv.Close()
	spec := Spec{ID: "x", Kind: KindHTTP, Target: hostPort(t, srv.URL), HTTP: &HTTPSpec{
		VirtualHost: "default.example",
		URLs: []URLSpec{
			{Path: "/a"},
			{Path: "/b", VirtualHost: "b.example", BodyRegex: "of /b$"},
		},
	}}
	tests := []struct {
		name   string
		a, b   int
		ok     bool
		reason string
	}{
		{"both pass", 200, 200, true, ""},
		{"first fails", 503, 200, false, "GET /a: HTTP 503"},
		{"second fails", 200, 404, false, "GET /b: HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			status["/a"], status["/b"], seen = tt.a, tt.b, nil
			mu.Unlock()
			r := mustCheck(t, spec)
			if r.OK != tt.ok || r.Reason != tt.reason {
				t.Errorf("got ok=%v %q, want ok=%v %q", r.OK, r.Reason, tt.ok, tt.reason)
			}
		})
	}
	mu.Lock()
	status["/a"], status["/b"], seen = 200, 200, nil
	mu.Unlock()
	mustCheck(t, spec)
	mu.Lock()
	got := seen
	mu.Unlock()
	if len(got) != 2 || got[0] != "default.example /a" || got[1] != "b.example /b" {
		t.Errorf("requests %q, want default.example /a then b.example /b", got)
	}
	spec.HTTP.URLs[1].BodyRegex = "nomatch"
	if r := mustCheck(t, spec); r.OK || r.Reason != "GET /b: body did not match" {
		t.Errorf("regex of the second url: got ok=%v %q", r.OK, r.Reason)
	}
}
