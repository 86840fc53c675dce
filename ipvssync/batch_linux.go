//go:build linux

package ipvssync

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// batchMax is how many requests go in one send. The kernel answers each
// with an acknowledgement queued on the socket while the send is still
// being processed, so a batch must fit the receive buffer (batchRcvBuf)
// acknowledgements and all; 128 small ones take well under it.
const (
	batchMax     = 128
	batchRcvBuf  = 1 << 20
	batchTimeout = 2 * time.Second // the wait for an acknowledgement, below the Guard's deadline
)

// batchedHandle is h with a batchWriter of its own for Apply.
type batchedHandle struct {
	Handle
	w *batchWriter
}

func (b batchedHandle) writeBatch(ops []Op, done func(i int)) []opError {
	return b.w.writeBatch(ops, done)
}

func (b batchedHandle) Close() {
	b.w.close()
	b.Handle.Close()
}

// withBatches gives h a batchWriter in the calling thread's network
// namespace (h's, for Open). Where that socket cannot be had, h is
// returned as it is and writes go one request at a time: slower, the
// same result.
func withBatches(h Handle) Handle {
	w, err := openBatchWriter()
	if err != nil {
		return h
	}
	return batchedHandle{h, w}
}

// batchWriter writes ops as IPVS generic netlink requests on a socket of
// its own, batchMax per send, and then reads one acknowledgement per
// request, matched by sequence number, so each failure is still told
// apart. Its buffers are reused: a converge of thousands of entries
// allocates almost nothing. Not safe for concurrent use (the Guard
// serialises calls).
type batchWriter struct {
	fd     atomic.Int64 // -1 once closed (a timed-out Guard call may still run)
	family uint16
	seq    uint32
	out    []byte
	in     []byte
}

// openBatchWriter opens the writer's socket in the calling thread's
// network namespace.
func openBatchWriter() (*batchWriter, error) {
	fam, err := netlink.GenlFamilyGet("IPVS")
	if err != nil {
		return nil, fmt.Errorf("ipvs generic netlink family: %w", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	fail := func(what string, err error) (*batchWriter, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink socket: %s: %w", what, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail("bind", err)
	}
	// Acknowledgements without a copy of the request: smaller, so more
	// fit the buffer. Older kernels lack it; then they are just bigger.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, batchRcvBuf); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, batchRcvBuf)
	}
	tv := unix.NsecToTimeval(batchTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail("receive timeout", err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		return fail("send timeout", err)
	}
	w := &batchWriter{family: fam.ID, in: make([]byte, 64<<10)}
	w.fd.Store(int64(fd))
	return w, nil
}

func (w *batchWriter) close() {
	if fd := w.fd.Swap(-1); fd >= 0 {
		unix.Close(int(fd))
	}
}

// writeBatch implements batcher. After a batch with a failure the rest
// of ops is not sent.
func (w *batchWriter) writeBatch(ops []Op, done func(i int)) []opError {
	for base := 0; base < len(ops); base += batchMax {
		chunk := ops[base:min(base+batchMax, len(ops))]
		if errs := w.writeChunk(chunk, base, done); len(errs) > 0 {
			return errs // the rest is not sent
		}
	}
	return nil
}

// writeChunk sends chunk (ops[base:...]) in one datagram and collects
// an acknowledgement for each request. A request whose acknowledgement
// never comes is reported failed with errBatchLost.
func (w *batchWriter) writeChunk(chunk []Op, base int, done func(i int)) []opError {
	first := w.seq + 1
	w.out = w.out[:0]
	for i, op := range chunk {
		w.seq++
		var err error
		w.out, err = appendRequest(w.out, w.family, w.seq, op)
		if err != nil {
			return []opError{{base + i, err}} // nothing sent
		}
	}
	fail := func(from int, err error) []opError {
		out := make([]opError, 0, len(chunk)-from)
		for i := from; i < len(chunk); i++ {
			out = append(out, opError{base + i, err})
		}
		return out
	}
	fd := int(w.fd.Load())
	if fd < 0 {
		return fail(0, errClosed)
	}
	if err := unix.Sendto(fd, w.out, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(0, fmt.Errorf("netlink send: %w", err))
	}
	acked := make([]bool, len(chunk)) // one small slice per batch
	left := len(chunk)
	var errs []opError
	for left > 0 {
		var n int
		var err error
		fd := int(w.fd.Load())
		if fd < 0 {
			err = errClosed
		} else {
			n, _, err = unix.Recvfrom(fd, w.in, 0)
		}
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			lost := fmt.Errorf("%w: %w", errBatchLost, err)
			for i, ok := range acked {
				if !ok {
					errs = append(errs, opError{base + i, lost})
				}
			}
			return sortErrs(errs)
		}
		left -= readAcks(w.in[:n], first, acked, func(i int, errno syscall.Errno) {
			if errno != 0 {
				errs = append(errs, opError{base + i, errno})
			} else if done != nil {
				done(base + i)
			}
		})
	}
	return sortErrs(errs)
}

// readAcks decodes one datagram b of netlink answers and calls fn for
// each acknowledgement of a request numbered first+i (i < len(acked))
// not seen before, with its errno (0 for success), marking it in acked.
// Anything else — answers to earlier requests, other messages, a
// truncated tail — is skipped. It returns how many it newly saw.
func readAcks(b []byte, first uint32, acked []bool, fn func(i int, errno syscall.Errno)) int {
	seen := 0
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			break
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		seq := binary.NativeEndian.Uint32(b[8:])
		body := b[unix.NLMSG_HDRLEN:l]
		b = b[min((l+3)&^3, len(b)):]
		i := int(seq - first) // wraps with the sequence numbers
		if typ != unix.NLMSG_ERROR || i >= len(acked) || acked[i] || len(body) < 4 {
			continue
		}
		acked[i] = true
		seen++
		fn(i, syscall.Errno(-int32(binary.NativeEndian.Uint32(body))))
	}
	return seen
}

// sortErrs orders errs by op index (acknowledgements come in order, but
// lost ones are added at the end).
func sortErrs(errs []opError) []opError {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].i < errs[j-1].i; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
	return errs
}
