package vm

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWithExtraFiles(t *testing.T) {
	saved := extraFiles
	t.Cleanup(func() { extraFiles = saved })

	extraFiles = nil
	own := map[string]File{"/lbhad/a": {Data: []byte("own")}}
	got, err := withExtraFiles(own)
	if err != nil || len(got) != 1 {
		t.Fatalf("no sources: got %v, %v", got, err)
	}

	AddFiles(func() (map[string]File, error) {
		return map[string]File{"/lbhad/a": {Data: []byte("extra")}, "/lbhad/b": {Data: []byte("b")}}, nil
	})
	got, err = withExtraFiles(own)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]File{"/lbhad/a": {Data: []byte("own")}, "/lbhad/b": {Data: []byte("b")}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("merged files (-want +got):\n%s", d)
	}
	if len(own) != 1 {
		t.Errorf("the caller's map was modified: %v", own)
	}

	boom := errors.New("boom")
	AddFiles(func() (map[string]File, error) { return nil, boom })
	if _, err := withExtraFiles(own); !errors.Is(err, boom) {
		t.Errorf("failing source: err %v, want %v", err, boom)
	}
}
