package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
)

// memProfileEnv names a path prefix: when set, `lbhad run` writes its
// heap profile to PREFIX.PID as it starts to stop (SIGTERM, SIGINT), so
// the memory of a long run can be read with `go tool pprof` (the bench
// of docs/PERFORMANCE.md passes it through the environment). The
// profile is the live heap as of the last garbage collection.
const memProfileEnv = "LBHAD_MEMPROFILE"

// memClassesEnv is memProfileEnv without the profile: only PREFIX.PID.txt
// is written, and the heap is sampled at Go's default rate, so the
// classes are those of a daemon run without the profiler's own memory.
const memClassesEnv = "LBHAD_MEMCLASSES"

// writeMemProfileAtStop writes the profile once ctx ends, if asked to;
// the returned func waits for the write.
func writeMemProfileAtStop(ctx context.Context) (wait func()) {
	prefix := os.Getenv(memProfileEnv)
	classesOnly := false
	if prefix == "" {
		if prefix = os.Getenv(memClassesEnv); prefix == "" {
			return func() {}
		}
		classesOnly = true
	} else {
		// Every 4 KiB allocated is sampled instead of every 512 KiB, so
		// that the profile of a 10 MB heap is more than a dozen samples.
		runtime.MemProfileRate = 4096
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		if classesOnly {
			writeMemClasses(fmt.Sprintf("%s.%d.txt", prefix, os.Getpid()))
			return
		}
		f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
		if err != nil {
			return
		}
		defer f.Close()
		_ = pprof.Lookup("heap").WriteTo(f, 0)
		writeMemClasses(fmt.Sprintf("%s.%d.txt", prefix, os.Getpid()))
	}()
	return func() { <-done }
}

// writeMemClasses writes the runtime's memory classes (runtime/metrics
// /memory/classes/...), which account for every byte the Go runtime
// maps: heap objects, free and unscavenged heap, stacks, metadata.
func writeMemClasses(path string) {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || strings.HasPrefix(d.Name, "/gc/heap/goal") || strings.HasPrefix(d.Name, "/sched/goroutines") || strings.HasPrefix(d.Name, "/gc/cycles/total") {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	var b strings.Builder
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(&b, "%-50s %d\n", s.Name, s.Value.Uint64())
		}
	}
	_ = os.WriteFile(path, []byte(b.String()), 0o644)
}
