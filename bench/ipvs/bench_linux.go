//go:build linux

package ipvsbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// Run measures, logging each finished step to log, writes the table to
// out (see Result.WriteTable) and returns every sample. It needs root and
// a kernel with IPVS (ip_vs loaded before the first ipvs handle of the
// process: see ipvstest.EnsureModule). ctx ends it between steps.
func Run(ctx context.Context, o Config, out, log io.Writer) (*Result, error) {
	o.defaults()
	res := &Result{Config: o}
	res.RSSStartKB, _ = statusKB("VmRSS")
	if err := ipvstest.EnsureModule(); err != nil {
		return nil, err
	}
	cfg := VirtualServers(o.Services, o.Dests)
	desired := ipvssync.Desired(cfg, ipvssync.Health{})
	for _, e := range desired {
		res.Entries += 1 + len(e.Dests)
	}
	var save bytes.Buffer
	if err := ipvssync.FormatSave(&save, desired); err != nil {
		return nil, err
	}

	for i := 0; i < o.Runs; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		gc0, alloc0 := gcCPU()
		d, n, err := lbhadConverge(desired, false)
		gc1, alloc1 := gcCPU()
		res.ConvergeGC, res.ConvergeAllocKB = append(res.ConvergeGC, gc1-gc0), append(res.ConvergeAllocKB, int((alloc1-alloc0)>>10))
		if err != nil {
			return nil, fmt.Errorf("lbhad converge run %d: %w", i+1, err)
		}
		if n != res.Entries {
			return nil, fmt.Errorf("lbhad converge run %d: %d writes, want %d", i+1, n, res.Entries)
		}
		res.LbhadConverge, res.ConvergeWrites = append(res.LbhadConverge, d), n
		fmt.Fprintf(log, "converge run %d: lbhad %v (GC CPU %v, %d KiB allocated)\n", i+1, d.Round(time.Millisecond),
			res.ConvergeGC[i].Round(time.Millisecond), res.ConvergeAllocKB[i])
		d, err = ipvsadmConverge(o.Ipvsadm, save.Bytes(), desired)
		if err != nil {
			return nil, fmt.Errorf("ipvsadm converge run %d: %w", i+1, err)
		}
		res.IpvsadmConverge = append(res.IpvsadmConverge, d)
		fmt.Fprintf(log, "converge run %d: ipvsadm -R %v\n", i+1, d.Round(time.Millisecond))
		if d, _, err = lbhadConverge(desired, true); err != nil {
			return nil, fmt.Errorf("lbhad converge without batches run %d: %w", i+1, err)
		}
		res.LbhadConvergeSingle = append(res.LbhadConvergeSingle, d)
		fmt.Fprintf(log, "converge run %d: lbhad one request per write %v\n", i+1, d.Round(time.Millisecond))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := steady(res, cfg, desired, log); err != nil {
		return nil, err
	}
	if err := res.WriteTable(out); err != nil {
		return nil, err
	}
	return res, nil
}

// benchNS is a fresh netns (an empty IPVS table) where the real servers'
// subnet is routable, as the kernel requires of destinations.
func benchNS() (*netnstest.Netns, error) {
	ns, err := netnstest.New()
	if err != nil {
		return nil, err
	}
	err = func() error {
		h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink handle: %w", err)
		}
		defer h.Close()
		if err := h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "bench0"}}); err != nil {
			return fmt.Errorf("add dummy link: %w", err)
		}
		l, err := h.LinkByName("bench0")
		if err != nil {
			return err
		}
		a, _ := netlink.ParseAddr("198.51.100.254/24")
		if err := h.AddrAdd(l, a); err != nil {
			return fmt.Errorf("add address: %w", err)
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("set link up: %w", err)
		}
		return nil
	}()
	if err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// check returns an error unless k holds exactly want.
func check(k ipvssync.Kernel, want ipvssync.Table) error {
	got, err := ipvssync.Read(k)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("kernel has %d services, want %d", len(got), len(want))
	}
	if ops := ipvssync.Plan(got, want, nil, nil); len(ops) != 0 {
		return fmt.Errorf("kernel table differs from the desired one in %d entries, first: %s", len(ops), ops[0])
	}
	return nil
}

// withTable runs fn with an IPVS handle on a fresh benchNS and flushes
// the table before the namespace goes, so the kernel's asynchronous netns
// cleanup has little left to do while the next run is measured.
func withTable(fn func(ns *netnstest.Netns, h *ipvs.Handle) error) error {
	ns, err := benchNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := ipvs.New(ns.Path())
	if err != nil {
		return fmt.Errorf("ipvs handle: %w", err)
	}
	defer h.Close()
	err = fn(ns, h)
	if ferr := h.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("flush: %w", ferr)
	}
	return err
}

// lbhadConverge times one Sync from empty through the handle the daemon
// uses (ipvssync.Open: writes batched, several requests per netlink
// send), or with single through moby/ipvs alone, one round trip per
// write, the way lbhad wrote before batching.
func lbhadConverge(desired ipvssync.Table, single bool) (d time.Duration, writes int, err error) {
	err = withTable(func(ns *netnstest.Netns, h *ipvs.Handle) error {
		k := ipvssync.FromMoby(h)
		if !single {
			var oerr error
			if err := ns.Run(func() error { k, oerr = ipvssync.Open(); return oerr }); err != nil {
				return fmt.Errorf("open: %w", err)
			}
			defer k.Close()
		}
		runtime.GC()
		t0 := time.Now()
		writes, err = ipvssync.NewReconciler(k, nil).Sync(desired)
		d = time.Since(t0)
		if err != nil {
			return err
		}
		return check(ipvssync.FromMoby(h), desired)
	})
	return d, writes, err
}

func ipvsadmConverge(bin string, save []byte, desired ipvssync.Table) (d time.Duration, err error) {
	err = withTable(func(ns *netnstest.Netns, h *ipvs.Handle) error {
		runtime.GC()
		err := ns.Run(func() error {
			cmd := exec.Command(bin, "-R")
			cmd.Stdin = bytes.NewReader(save)
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			d = time.Since(t0)
			if err != nil {
				return fmt.Errorf("ipvsadm -R: %w: %s", err, out)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return check(ipvssync.FromMoby(h), desired)
	})
	return d, err
}

// runIn times one ipvsadm invocation inside ns, output discarded.
func runIn(ns *netnstest.Netns, bin string, args ...string) (d time.Duration, err error) {
	err = ns.Run(func() error {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		t0 := time.Now()
		err := cmd.Run()
		d = time.Since(t0)
		if err != nil {
			return fmt.Errorf("ipvsadm %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return nil
	})
	return d, err
}

// counting is a Kernel that counts the netlink read requests made
// through it: service dumps, service gets and destination dumps.
type counting struct {
	ipvssync.Kernel
	reads int
}

func (c *counting) GetServices() ([]ipvssync.Service, error) {
	c.reads++
	return c.Kernel.GetServices()
}

func (c *counting) GetService(k ipvssync.ServiceKey) (ipvssync.Service, error) {
	c.reads++
	return c.Kernel.GetService(k)
}

func (c *counting) GetDestinations(k ipvssync.ServiceKey) ([]ipvssync.Destination, error) {
	c.reads++
	return c.Kernel.GetDestinations(k)
}

// steady converges one table with a Reconciler that it keeps, then
// measures what the daemon does all day on it. The Reconciler is set up
// as the daemon's (incremental between resyncs of lvs_resync_interval,
// 30 s by default) on a clock that stands still, so no resync falls due
// during the failure and unchanged runs; the resync row advances it.
func steady(res *Result, cfg []*config.VirtualServer, desired ipvssync.Table, log io.Writer) error {
	o := res.Config
	return withTable(func(ns *netnstest.Netns, h *ipvs.Handle) error {
		k := &counting{Kernel: ipvssync.FromMoby(h)}
		clk := clock.NewFake(time.Now())
		r := ipvssync.NewReconciler(k, nil, ipvssync.WithClock(clk))
		r.SetResync(config.DefaultLVSResyncInterval)
		if _, err := r.Sync(desired); err != nil {
			return fmt.Errorf("converge: %w", err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		res.RSSKB, _ = statusKB("VmRSS")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.HeapInuse = ms.HeapInuse

		// timed runs one Sync and returns its time, writes and reads.
		timed := func(t ipvssync.Table) (time.Duration, int, int, error) {
			k.reads = 0
			t0 := time.Now()
			n, err := r.Sync(t)
			return time.Since(t0), n, k.reads, err
		}
		for i := 0; i < o.Runs; i++ {
			// A different real server each run, spread over the table.
			vs := cfg[(i*len(cfg)/o.Runs+i)%len(cfg)]
			rs := vs.RealServers[i%len(vs.RealServers)]
			h1 := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{
				ipvssync.RealKeyOf(vs, rs): {Alive: false},
			}}
			failed := ipvssync.Desired(cfg, h1)

			d, n, reads, err := timed(failed)
			if err != nil {
				return fmt.Errorf("sync with %s failed: %w", rs.Address, err)
			}
			res.Fail, res.FailWrites, res.FailReads = append(res.Fail, d), append(res.FailWrites, n), append(res.FailReads, reads)

			d, n, reads, err = timed(desired)
			if err != nil {
				return fmt.Errorf("sync with %s back: %w", rs.Address, err)
			}
			res.Recover, res.RecoverWrites, res.RecoverReads = append(res.Recover, d), append(res.RecoverWrites, n), append(res.RecoverReads, reads)

			// ipvsadm's cost for the same single writes, in the same run:
			// one process deleting the real server, one adding it back.
			proto := "-t"
			d, err = runIn(ns, o.Ipvsadm, "-d", proto, vs.Address.String(), "-r", rs.Address.String())
			if err != nil {
				return err
			}
			res.IpvsadmDelete = append(res.IpvsadmDelete, d)
			d, err = runIn(ns, o.Ipvsadm, "-a", proto, vs.Address.String(), "-r", rs.Address.String(),
				"-m", "-w", strconv.Itoa(rs.Weight))
			if err != nil {
				return err
			}
			res.IpvsadmAdd = append(res.IpvsadmAdd, d)
			fmt.Fprintf(log, "failure run %d: fail %v (%d writes, %d reads), recover %v (%d writes, %d reads), ipvsadm -d %v, -a %v\n",
				i+1, res.Fail[i].Round(time.Microsecond), res.FailWrites[i], res.FailReads[i],
				res.Recover[i].Round(time.Microsecond), res.RecoverWrites[i], res.RecoverReads[i],
				res.IpvsadmDelete[i].Round(time.Microsecond), d.Round(time.Microsecond))
		}

		for i := 0; i < o.Runs; i++ {
			d, n, reads, err := timed(desired)
			if err != nil {
				return fmt.Errorf("unchanged sync: %w", err)
			}
			res.Noop, res.NoopWrites, res.NoopReads = append(res.Noop, d), append(res.NoopWrites, n), append(res.NoopReads, reads)

			// The periodic resync: the same Sync once the interval has
			// passed reads the whole table.
			clk.Advance(config.DefaultLVSResyncInterval)
			d, n, reads, err = timed(desired)
			if err != nil {
				return fmt.Errorf("resync: %w", err)
			}
			res.Resync, res.ResyncWrites, res.ResyncReads = append(res.Resync, d), append(res.ResyncWrites, n), append(res.ResyncReads, reads)

			t0 := time.Now()
			cur, err := ipvssync.Read(ipvssync.FromMoby(h))
			res.Read = append(res.Read, time.Since(t0))
			if err != nil {
				return err
			}
			t0 = time.Now()
			ops := ipvssync.Plan(cur, desired, r.Owned(), nil)
			res.Plan = append(res.Plan, time.Since(t0))
			if len(ops) != 0 {
				return fmt.Errorf("unchanged table plans %d ops, first %s", len(ops), ops[0])
			}
			t0 = time.Now()
			ipvssync.Desired(cfg, ipvssync.Health{})
			res.Desired = append(res.Desired, time.Since(t0))

			d, err = runIn(ns, o.Ipvsadm, "-Ln")
			if err != nil {
				return err
			}
			res.IpvsadmList = append(res.IpvsadmList, d)
			fmt.Fprintf(log, "unchanged run %d: sync %v (%d writes, %d reads), resync %v (%d reads), read %v, ipvsadm -Ln %v\n",
				i+1, res.Noop[i].Round(time.Microsecond), res.NoopWrites[i], res.NoopReads[i],
				res.Resync[i].Round(time.Microsecond), res.ResyncReads[i], res.Read[i].Round(time.Microsecond), d.Round(time.Microsecond))
		}
		return nil
	})
}

// gcCPU returns the CPU time the Go GC has taken from this process's
// work (assists, dedicated mark workers and pauses; not the idle-time
// marking, which only uses otherwise idle CPUs) and the bytes allocated
// so far (runtime/metrics), to tell how much of a converge is garbage
// collection.
func gcCPU() (time.Duration, uint64) {
	m := []metrics.Sample{
		{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
		{Name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"},
		{Name: "/cpu/classes/gc/pause:cpu-seconds"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(m)
	var secs float64
	for _, x := range m[:3] {
		if x.Value.Kind() == metrics.KindFloat64 {
			secs += x.Value.Float64()
		}
	}
	var alloc uint64
	if m[3].Value.Kind() == metrics.KindUint64 {
		alloc = m[3].Value.Uint64()
	}
	return time.Duration(secs * float64(time.Second)), alloc
}

// statusKB returns a "kB" field of /proc/self/status.
func statusKB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == field {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New(field + " not in /proc/self/status")
}
