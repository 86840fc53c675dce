package ipvssync

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
)

// The IPVS connection synchronisation daemon: the kernel threads that
// multicast new and changed connections from the active director
// (master) to the standby (backup), so a standby that takes over already
// knows where every established connection goes. moby/ipvs has no
// commands for it; the messages are built here, without any socket, so
// they are tested without root. The layout follows
// linux/include/uapi/linux/ip_vs.h.

// Generic-netlink commands and attributes of the "IPVS" family.
const (
	ipvsGenlVersion = 1

	ipvsCmdNewDaemon = 9
	ipvsCmdDelDaemon = 10
	ipvsCmdGetDaemon = 11

	ipvsCmdAttrDaemon = 3

	daemonAttrState       = 1 // u32: DaemonMaster or DaemonBackup
	daemonAttrMcastIfn    = 2 // NUL-terminated interface name
	daemonAttrSyncID      = 3 // u32
	daemonAttrSyncMaxLen  = 4 // u16
	daemonAttrMcastGroup  = 5 // IPv4 address, network order
	daemonAttrMcastGroup6 = 6 // IPv6 address
	daemonAttrMcastPort   = 7 // u16
	daemonAttrMcastTTL    = 8 // u8

	nlaHeaderLen = 4
	nlaFNested   = 1 << 15
	nlaFNetOrder = 1 << 14
	nlaTypeMask  = ^uint16(nlaFNested | nlaFNetOrder)
	ifNameSize   = 16 // IP_VS_IFNAME_MAXLEN, including the NUL
)

// DaemonState is the role of a sync daemon thread (IP_VS_STATE_*).
type DaemonState uint32

// The two roles. The kernel runs at most one thread set of each per
// network namespace, and allows both at once.
const (
	DaemonMaster DaemonState = 1
	DaemonBackup DaemonState = 2
)

func (s DaemonState) String() string {
	switch s {
	case DaemonMaster:
		return "master"
	case DaemonBackup:
		return "backup"
	}
	return fmt.Sprintf("DaemonState(%d)", uint32(s))
}

// DaemonInfo is one sync daemon: what StartDaemon asks for and what
// ListDaemons reads back. Zero optional fields mean "the kernel's
// default" when starting (maxlen from the interface MTU, group
// 224.0.0.81, port 8848, TTL 1); read back, the kernel fills them in.
type DaemonInfo struct {
	State     DaemonState
	Interface string // multicast interface (--mcast-interface)
	SyncID    uint32 // 0..255 in practice: the id byte of the sync messages
	MaxLen    uint16 // largest sync payload; 0 = from the MTU
	Group     netip.Addr
	Port      uint16
	TTL       uint8
}

// Errors of the encoder and decoder.
var (
	// ErrDaemonConfig is returned for a DaemonInfo the kernel would refuse.
	ErrDaemonConfig = errors.New("invalid sync daemon settings")
	// ErrMalformed is returned for a reply that is not a well-formed
	// IPVS daemon message.
	ErrMalformed = errors.New("malformed IPVS daemon message")
)

// validate checks what the kernel checks, so the caller gets a clear
// error instead of EINVAL.
func (d DaemonInfo) validate(needIfn bool) error {
	if d.State != DaemonMaster && d.State != DaemonBackup {
		return fmt.Errorf("%w: state %d is neither master nor backup", ErrDaemonConfig, d.State)
	}
	if !needIfn {
		return nil
	}
	if d.Interface == "" || len(d.Interface) >= ifNameSize {
		return fmt.Errorf("%w: interface name %q must be 1..%d bytes", ErrDaemonConfig, d.Interface, ifNameSize-1)
	}
	if d.Group.IsValid() && !d.Group.IsMulticast() {
		return fmt.Errorf("%w: group %s is not a multicast address", ErrDaemonConfig, d.Group)
	}
	return nil
}

// attrs is a tiny netlink attribute writer (struct nlattr, 4-byte
// alignment, host byte order for integers as the kernel's nla_put_u*).
type attrs []byte

func (a attrs) put(typ uint16, data []byte) attrs {
	l := nlaHeaderLen + len(data)
	a = binary.NativeEndian.AppendUint16(a, uint16(l))
	a = binary.NativeEndian.AppendUint16(a, typ)
	a = append(a, data...)
	for i := l; i%4 != 0; i++ {
		a = append(a, 0)
	}
	return a
}

func (a attrs) u32(typ uint16, v uint32) attrs {
	return a.put(typ, binary.NativeEndian.AppendUint32(nil, v))
}

func (a attrs) u16(typ uint16, v uint16) attrs {
	return a.put(typ, binary.NativeEndian.AppendUint16(nil, v))
}

// genlHeader is struct genlmsghdr: cmd, version, reserved u16.
func genlHeader(cmd uint8) []byte { return []byte{cmd, ipvsGenlVersion, 0, 0} }

// MarshalNewDaemon returns the generic-netlink payload (genlmsghdr and
// attributes, without the nlmsghdr) of IPVS_CMD_NEW_DAEMON for d.
// It returns ErrDaemonConfig for settings the kernel would refuse.
func MarshalNewDaemon(d DaemonInfo) ([]byte, error) {
	if err := d.validate(true); err != nil {
		return nil, err
	}
	var in attrs
	in = in.u32(daemonAttrState, uint32(d.State))
	in = in.put(daemonAttrMcastIfn, append([]byte(d.Interface), 0))
	in = in.u32(daemonAttrSyncID, d.SyncID)
	if d.MaxLen != 0 {
		in = in.u16(daemonAttrSyncMaxLen, d.MaxLen)
	}
	if d.Group.Is4() {
		g := d.Group.As4()
		in = in.put(daemonAttrMcastGroup, g[:])
	} else if d.Group.Is6() {
		g := d.Group.As16()
		in = in.put(daemonAttrMcastGroup6, g[:])
	}
	if d.Port != 0 {
		in = in.u16(daemonAttrMcastPort, d.Port)
	}
	if d.TTL != 0 {
		in = in.put(daemonAttrMcastTTL, []byte{d.TTL})
	}
	return attrs(genlHeader(ipvsCmdNewDaemon)).put(ipvsCmdAttrDaemon|nlaFNested, in), nil
}

// MarshalDelDaemon returns the payload of IPVS_CMD_DEL_DAEMON, which
// stops the threads of one role. It returns ErrDaemonConfig for a state
// other than DaemonMaster or DaemonBackup.
func MarshalDelDaemon(s DaemonState) ([]byte, error) {
	if err := (DaemonInfo{State: s}).validate(false); err != nil {
		return nil, err
	}
	in := attrs(nil).u32(daemonAttrState, uint32(s))
	return attrs(genlHeader(ipvsCmdDelDaemon)).put(ipvsCmdAttrDaemon|nlaFNested, in), nil
}

// MarshalGetDaemon returns the payload of the IPVS_CMD_GET_DAEMON dump
// request (it has no attributes).
func MarshalGetDaemon() []byte { return genlHeader(ipvsCmdGetDaemon) }

// parseAttrs splits b into attributes by type (flags masked). A repeated
// type keeps the last, as the kernel's nla_parse does.
func parseAttrs(b []byte) (map[uint16][]byte, error) {
	m := map[uint16][]byte{}
	for len(b) > 0 {
		if len(b) < nlaHeaderLen {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(b))
		}
		l := int(binary.NativeEndian.Uint16(b))
		if l < nlaHeaderLen || l > len(b) {
			return nil, fmt.Errorf("%w: attribute length %d with %d bytes left", ErrMalformed, l, len(b))
		}
		m[binary.NativeEndian.Uint16(b[2:])&nlaTypeMask] = b[nlaHeaderLen:l]
		al := (l + 3) &^ 3
		if al > len(b) {
			al = len(b)
		}
		b = b[al:]
	}
	return m, nil
}

// UnmarshalDaemon decodes one message of a GET_DAEMON dump (the payload
// after the nlmsghdr: genlmsghdr and attributes). It returns ErrMalformed
// when the message is truncated, is not a daemon message or lacks the
// state, interface or sync id.
func UnmarshalDaemon(msg []byte) (DaemonInfo, error) {
	var d DaemonInfo
	if len(msg) < 4 {
		return d, fmt.Errorf("%w: %d bytes, shorter than a genl header", ErrMalformed, len(msg))
	}
	top, err := parseAttrs(msg[4:])
	if err != nil {
		return d, err
	}
	nest, ok := top[ipvsCmdAttrDaemon]
	if !ok {
		return d, fmt.Errorf("%w: no daemon attribute", ErrMalformed)
	}
	a, err := parseAttrs(nest)
	if err != nil {
		return d, err
	}
	u32 := func(typ uint16, name string) (uint32, error) {
		v, ok := a[typ]
		if !ok || len(v) < 4 {
			return 0, fmt.Errorf("%w: %s missing or short", ErrMalformed, name)
		}
		return binary.NativeEndian.Uint32(v), nil
	}
	u16 := func(typ uint16) uint16 {
		if v := a[typ]; len(v) >= 2 {
			return binary.NativeEndian.Uint16(v)
		}
		return 0
	}
	st, err := u32(daemonAttrState, "state")
	if err != nil {
		return d, err
	}
	d.State = DaemonState(st)
	if d.SyncID, err = u32(daemonAttrSyncID, "sync id"); err != nil {
		return d, err
	}
	ifn, ok := a[daemonAttrMcastIfn]
	if !ok {
		return d, fmt.Errorf("%w: interface missing", ErrMalformed)
	}
	for i, c := range ifn {
		if c == 0 {
			ifn = ifn[:i]
			break
		}
	}
	d.Interface = string(ifn)
	d.MaxLen = u16(daemonAttrSyncMaxLen)
	d.Port = u16(daemonAttrMcastPort)
	if v := a[daemonAttrMcastTTL]; len(v) >= 1 {
		d.TTL = v[0]
	}
	if v := a[daemonAttrMcastGroup]; len(v) >= 4 {
		d.Group = netip.AddrFrom4([4]byte(v[:4]))
	} else if v := a[daemonAttrMcastGroup6]; len(v) >= 16 {
		d.Group = netip.AddrFrom16([16]byte(v[:16]))
	}
	return d, nil
}

// SortDaemons orders daemons master first, as ipvsadm prints them.
func SortDaemons(ds []DaemonInfo) {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].State < ds[j].State })
}

// FormatDaemons writes ds the way `ipvsadm -L --daemon` does, one line
// per daemon, master first:
//
//	master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)
func FormatDaemons(w io.Writer, ds []DaemonInfo) error {
	ds = append([]DaemonInfo(nil), ds...)
	SortDaemons(ds)
	bw := bufio.NewWriter(w)
	for _, d := range ds {
		fmt.Fprintf(bw, "%s sync daemon (mcast=%s, syncid=%d", d.State, d.Interface, d.SyncID)
		if d.MaxLen != 0 {
			fmt.Fprintf(bw, ", maxlen=%d", d.MaxLen)
		}
		if d.Group.IsValid() {
			fmt.Fprintf(bw, ", group=%s", d.Group)
		}
		if d.Port != 0 {
			fmt.Fprintf(bw, ", port=%d", d.Port)
		}
		if d.TTL != 0 {
			fmt.Fprintf(bw, ", ttl=%d", d.TTL)
		}
		bw.WriteString(")\n")
	}
	return bw.Flush()
}

// PlanDaemons returns what turns the running daemons into want: the
// roles to stop first, then whether to start want. A running daemon of
// want's role is kept only if it matches want (fields left zero in want
// match anything, since the kernel fills them in); the other role is
// always stopped, so exactly one role runs, as keepalived 2.2.7 does
// (ipvs_syncd_master/ipvs_syncd_backup). A zero want (State 0) stops
// everything in have.
func PlanDaemons(want DaemonInfo, have []DaemonInfo) (stop []DaemonState, start bool) {
	start = want.State != 0
	for _, h := range have {
		if h.State == want.State && daemonMatches(want, h) {
			start = false
			continue
		}
		stop = append(stop, h.State)
	}
	sort.Slice(stop, func(i, j int) bool { return stop[i] < stop[j] })
	return stop, start
}

func daemonMatches(want, have DaemonInfo) bool {
	return want.Interface == have.Interface && want.SyncID == have.SyncID &&
		(want.MaxLen == 0 || want.MaxLen == have.MaxLen) &&
		(!want.Group.IsValid() || want.Group == have.Group) &&
		(want.Port == 0 || want.Port == have.Port) &&
		(want.TTL == 0 || want.TTL == have.TTL)
}
