package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// memProfileEnv names a path prefix: when set, `lbhad run` writes its
// heap profile to PREFIX.PID as it starts to stop (SIGTERM, SIGINT), so
// the memory of a long run can be read with `go tool pprof` (the bench
// of docs/PERFORMANCE.md passes it through the environment). The
// profile is the live heap as of the last garbage collection.
const memProfileEnv = "LBHAD_MEMPROFILE"

// writeMemProfileAtStop writes the profile once ctx ends, if asked to;
// the returned func waits for the write.
func writeMemProfileAtStop(ctx context.Context) (wait func()) {
	prefix := os.Getenv(memProfileEnv)
	if prefix == "" {
		return func() {}
	}
	// Every 4 KiB allocated is sampled instead of every 512 KiB, so
	// that the profile of a 10 MB heap is more than a dozen samples.
	runtime.MemProfileRate = 4096
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
		if err != nil {
			return
		}
		defer f.Close()
		_ = pprof.Lookup("heap").WriteTo(f, 0)
	}()
	return func() { <-done }
}
