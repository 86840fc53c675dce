package ipvssync

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseConn(t *testing.T) {
	for _, tc := range []struct {
		line, wantErr string
		want          procConn
	}{
		{line: "TCP C0000201 D431 C0000232 0050 C0000207 0050 ESTABLISHED     899",
			want: procConn{proto: "TCP", state: "ESTABLISHED", src: "192.0.2.1:54321", vip: "192.0.2.50:80", dst: "192.0.2.7:80", expires: 899}},
		{line: "UDP C0000201 13C4 C0000232 13C4 C0000208 13C4 NONE 177 sip abc",
			want: procConn{proto: "UDP", state: "NONE", src: "192.0.2.1:5060", vip: "192.0.2.50:5060", dst: "192.0.2.8:5060", expires: 177, peName: "sip", peData: "abc"}},
		{line: "TCP C0000201 D431", wantErr: "short line"},
		{line: "TCP C0000201 D431 C0000232 0050 C0000207 0050 ESTABLISHED soon", wantErr: "expiry"},
		{line: "TCP XYZ D431 C0000232 0050 C0000207 0050 ESTABLISHED 1", wantErr: "address"},
		{line: "TCP C0000201 10000 C0000232 0050 C0000207 0050 ESTABLISHED 1", wantErr: "port"},
		{line: "TCP 2001:db8::zz D431 C0000232 0050 C0000207 0050 ESTABLISHED 1", wantErr: "ParseAddr"},
	} {
		got, err := parseConn(tc.line)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.line, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

// FuzzFormatConns: any kernel line either parses and prints or is an
// error; never a panic.
func FuzzFormatConns(f *testing.F) {
	f.Add("TCP C0000201 D431 C0000232 0050 C0000207 0050 ESTABLISHED 899")
	f.Add("TCP 2001:0db8:0000:0000:0000:0000:0000:0001 D431 2001:0db8:0000:0000:0000:0000:0000:0050 01BB 2001:0db8:0000:0000:0000:0000:0000:0007 01BB SYN_RECV 59 sip x")
	f.Fuzz(func(t *testing.T, line string) {
		var b bytes.Buffer
		err := FormatConns(&b, strings.NewReader("Pro FromIP\n"+line+"\n"), true)
		if err == nil && !strings.HasPrefix(b.String(), "IPVS connection entries\n") {
			t.Errorf("no title: %q", b.String())
		}
	})
}
