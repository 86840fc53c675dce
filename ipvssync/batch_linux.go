//go:build linux

package ipvssync

import (
	"encoding/binary"
	"fmt"
	"net/netip"
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

// IPVS generic netlink commands and attributes (linux/ip_vs.h) for the
// writes, besides those persistconn.go already names.
const (
	ipvsCmdNewService = 1
	ipvsCmdSetService = 2
	ipvsCmdDelService = 3
	ipvsCmdNewDest    = 5
	ipvsCmdSetDest    = 6
	ipvsCmdDelDest    = 7

	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9

	destAttrFwdMethod = 3
	destAttrWeight    = 4
	destAttrUThresh   = 5
	destAttrLThresh   = 6
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

// appendRequest appends op as one IPVS request with seq to b, encoded as
// moby/ipvs encodes it (so the kernel sees what the single-request path
// sends): the service in full for service writes, its key otherwise.
func appendRequest(b []byte, family uint16, seq uint32, op Op) ([]byte, error) {
	s := toKernel(op.Service)
	var cmd uint8
	full := false
	switch op.Kind {
	case OpAddService:
		cmd, full = ipvsCmdNewService, true
	case OpUpdateService:
		cmd, full = ipvsCmdSetService, true
	case OpDelService:
		cmd = ipvsCmdDelService
	case OpAddDest:
		cmd = ipvsCmdNewDest
	case OpUpdateDest:
		cmd = ipvsCmdSetDest
	case OpDelDest:
		cmd = ipvsCmdDelDest
	default:
		return b, errUnknownOp(op.Kind)
	}
	if !full {
		s = toKernel(Service{Key: s.Key})
	}
	start := len(b)
	b = binary.NativeEndian.AppendUint32(b, 0) // length, set below
	b = binary.NativeEndian.AppendUint16(b, family)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel fills it
	b = append(b, cmd, 1, 0, 0)                // genlmsghdr: cmd, version 1
	b = appendService(b, s)
	switch op.Kind {
	case OpAddDest, OpUpdateDest:
		b = appendDest(b, op.Dest.spec())
	case OpDelDest:
		b = appendDest(b, Destination{Addr: op.Dest.Addr, Port: op.Dest.Port})
	}
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b, nil
}

// appendService appends the nested service attribute, as moby/ipvs's
// fillService: the key, then scheduler, flags (with a full mask),
// timeout and netmask.
func appendService(b []byte, s Service) []byte {
	nest := len(b)
	b = attrHeader(b, ipvsCmdAttrService)
	b = attrU16(b, svcAttrAF, uint16(s.Key.Family))
	if s.Key.FWMark != 0 {
		b = attrU32(b, svcAttrFWMark, s.Key.FWMark)
	} else {
		b = attrU16(b, svcAttrProtocol, uint16(s.Key.Proto))
		b = attrAddr(b, svcAttrAddr, s.Key.Addr)
		b = attrBE16(b, svcAttrPort, s.Key.Port)
	}
	b = attrString(b, svcAttrSchedName, s.Scheduler)
	a := len(b)
	b = attrHeader(b, svcAttrFlags)
	b = binary.NativeEndian.AppendUint32(b, s.Flags&^FlagHashed)
	b = binary.NativeEndian.AppendUint32(b, 0xFFFFFFFF)
	b = attrEnd(b, a)
	b = attrU32(b, svcAttrTimeout, s.Timeout)
	b = attrU32(b, svcAttrNetmask, netmaskToKernel(s.Key.Family, s.Netmask))
	return attrEnd(b, nest)
}

// appendDest appends the nested destination attribute, as moby/ipvs's
// fillDestination: without the address family attribute, so the kernel
// takes the service's.
func appendDest(b []byte, d Destination) []byte {
	nest := len(b)
	b = attrHeader(b, ipvsCmdAttrDest)
	b = attrAddr(b, destAttrAddr, d.Addr)
	b = attrBE16(b, destAttrPort, d.Port)
	b = attrU32(b, destAttrFwdMethod, uint32(d.Forward)&0x7)
	b = attrU32(b, destAttrWeight, uint32(d.Weight))
	b = attrU32(b, destAttrUThresh, d.Upper)
	b = attrU32(b, destAttrLThresh, d.Lower)
	return attrEnd(b, nest)
}

// Netlink attributes: a 4-byte header (length, type), the value, padding
// to 4 bytes; the length counts header and value, not the padding.
func attrHeader(b []byte, typ uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, 0)
	return binary.NativeEndian.AppendUint16(b, typ)
}

// attrEnd sets the length of the attribute begun at start and pads it.
func attrEnd(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func attrU16(b []byte, typ uint16, v uint16) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.NativeEndian.AppendUint16(b, v), a)
}

func attrBE16(b []byte, typ uint16, v uint16) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.BigEndian.AppendUint16(b, v), a)
}

func attrU32(b []byte, typ uint16, v uint32) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.NativeEndian.AppendUint32(b, v), a)
}

// attrAddr appends ip as the kernel takes it: 4 bytes for IPv4, 16 for
// IPv6 (without AsSlice, which allocates).
func attrAddr(b []byte, typ uint16, ip netip.Addr) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	if ip = ip.Unmap(); ip.Is4() {
		v := ip.As4()
		b = append(b, v[:]...)
	} else if ip.Is6() {
		v := ip.As16()
		b = append(b, v[:]...)
	}
	return attrEnd(b, a)
}

func attrString(b []byte, typ uint16, s string) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	b = append(b, s...)
	return attrEnd(append(b, 0), a)
}
