package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"go.uber.org/zap"
)

// FuzzDispatch feeds arbitrary request lines to the server's decoder:
// it must never panic and must always answer with a valid Response,
// OK only for a known command.
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		`{"cmd":"status"}`, `{"cmd":"dump"}`, `{"cmd":"maint","args":{"rs":"x"}}`,
		`{"cmd":1}`, `not json`, ``, `{}`, `null`, `[]`, `{"cmd":"status"}{"cmd":"dump"}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Server{log: zap.NewNop(), timeout: 1e9, handlers: map[string]HandlerFunc{}}
	s.Handle(CmdStatus, func(context.Context, Peer, Command) (any, error) { return Snapshot{}, nil })
	f.Fuzz(func(t *testing.T, line []byte) {
		resp := s.dispatch(context.Background(), Peer{}, line)
		b, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("response does not marshal: %v", err)
		}
		var back Response
		if err := json.Unmarshal(b, &back); err != nil || back.OK != resp.OK {
			t.Fatalf("response round trip: %v", err)
		}
		if resp.OK == (resp.Error != "") {
			t.Fatalf("OK %v with error %q", resp.OK, resp.Error)
		}
	})
}

// FuzzReadLine checks the line reader against bufio.Scanner semantics
// for lines within the limit and refuses longer ones.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\nb\n"), 4)
	f.Add([]byte("abcdef"), 3)
	f.Add([]byte(""), 1)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		r := bufio.NewReaderSize(bytes.NewReader(in), 16)
		line, err := readLine(r, max)
		first, _, found := bytes.Cut(in, []byte("\n"))
		want := first
		if found {
			want = append(append([]byte(nil), first...), '\n')
		}
		switch {
		case len(in) == 0:
			if err == nil {
				t.Fatalf("empty input gave %q", line)
			}
		case len(want) > max:
			if err == nil {
				t.Fatalf("line of %d bytes accepted with limit %d", len(want), max)
			}
		default:
			if err != nil || !bytes.Equal(line, want) {
				t.Fatalf("readLine = %q, %v; want %q", line, err, want)
			}
		}
	})
}
