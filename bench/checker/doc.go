// Package checkerbench measures lbhad's health-check engine (package
// checker) on loopback: sustained tcp_check and http_get attempts per
// second and the CPU they cost, beside baselines measured in the same run
// (a minimal loop of raw connect(2)+close(2), the same with net.Dialer,
// a plain net/http client loop, and the engine itself with its bare
// tcp_checks dialled by net.Dialer per attempt instead of its connect
// loop); how long a stopped backend takes to
// be reported down, for a refused connection and for a server that hangs;
// and the memory and goroutines of the process holding 10,000 checks.
//
// Backends for the throughput runs live in a separate process (the
// program re-executed as a backend, see BackendMain), so their CPU is
// reported apart from the checker's. Every check targets its own address
// in 127.0.0.0/8, which gives each the whole ephemeral port range, and by
// default cmd/checkerbench re-executes itself in a fresh network namespace
// (ReexecInNetns; needs root, otherwise the host's is used), so its
// TIME_WAIT sockets do not crowd anyone else's loopback.
//
// Reproduce the numbers in docs/PERFORMANCE.md with
//
//	sudo bash bench/checker/run.sh -checks 10000 -http-checks 5000 -interval 1s -duration 20s
//
// and a smoke run of a few seconds with -short (TestSmoke runs the same).
package checkerbench
