//go:build linux

package ipvssync

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// SyncDaemons starts, stops and lists the kernel's IPVS sync daemons of
// one network namespace over generic netlink (the same IPVS family
// moby/ipvs uses, with the commands it lacks).
type SyncDaemons struct {
	family uint16
	mu     sync.Mutex
	sock   *nl.SocketHandle
}

// OpenSyncDaemons opens a generic-netlink socket in the network namespace
// at nsPath ("" = the caller's) and resolves the IPVS family, loading
// ip_vs first if needed as Open does. It returns an error wrapping
// ErrUnavailable when the kernel has no IPVS.
func OpenSyncDaemons(nsPath string) (*SyncDaemons, error) {
	if !ipvsLoaded() {
		err := loadModule()
		if !ipvsLoaded() {
			if err == nil {
				err = errors.New("ip_vs module still absent after modprobe")
			}
			return nil, fmt.Errorf("%w: kernel has no ip_vs module loaded (CONFIG_IP_VS?): %w", ErrUnavailable, err)
		}
	}
	fam, err := netlink.GenlFamilyGet("IPVS")
	if err != nil {
		return nil, fmt.Errorf("resolve generic netlink family IPVS: %w: %w", ErrUnavailable, err)
	}
	ns := netns.None()
	if nsPath != "" {
		if ns, err = netns.GetFromPath(nsPath); err != nil {
			return nil, fmt.Errorf("open netns %s: %w", nsPath, err)
		}
		defer ns.Close()
	}
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("open generic netlink socket: %w", err)
	}
	return &SyncDaemons{family: fam.ID, sock: &nl.SocketHandle{Socket: s}}, nil
}

// Close releases the socket. The daemons keep running.
func (s *SyncDaemons) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock != nil {
		s.sock.Close()
		s.sock = nil
	}
}

func (s *SyncDaemons) exec(payload []byte, flags int) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock == nil {
		return nil, errors.New("sync daemon socket is closed")
	}
	req := nl.NewNetlinkRequest(int(s.family), flags)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_GENERIC: s.sock}
	req.AddRawData(payload)
	return req.Execute(unix.NETLINK_GENERIC, 0)
}

// Start starts the sync threads of d.State with d's settings. The kernel
// returns EEXIST (errors.Is(err, unix.EEXIST)) when that role already
// runs, and ENODEV for an unknown interface. Invalid settings return
// ErrDaemonConfig.
func (s *SyncDaemons) Start(d DaemonInfo) error {
	p, err := MarshalNewDaemon(d)
	if err != nil {
		return err
	}
	if _, err := s.exec(p, unix.NLM_F_ACK); err != nil {
		return fmt.Errorf("start %s sync daemon on %s: %w", d.State, d.Interface, err)
	}
	return nil
}

// Stop stops the threads of one role. The kernel returns ESRCH when that
// role is not running.
func (s *SyncDaemons) Stop(st DaemonState) error {
	p, err := MarshalDelDaemon(st)
	if err != nil {
		return err
	}
	if _, err := s.exec(p, unix.NLM_F_ACK); err != nil {
		return fmt.Errorf("stop %s sync daemon: %w", st, err)
	}
	return nil
}

// List reads the running daemons, master first.
func (s *SyncDaemons) List() ([]DaemonInfo, error) {
	msgs, err := s.ListRaw()
	if err != nil {
		return nil, err
	}
	var ds []DaemonInfo
	for _, m := range msgs {
		d, err := UnmarshalDaemon(m)
		if err != nil {
			return nil, fmt.Errorf("list sync daemons: %w", err)
		}
		ds = append(ds, d)
	}
	SortDaemons(ds)
	return ds, nil
}

// ListRaw returns the GET_DAEMON dump's messages undecoded (genlmsghdr
// and attributes), for tests that keep kernel replies as testdata.
func (s *SyncDaemons) ListRaw() ([][]byte, error) {
	msgs, err := s.exec(MarshalGetDaemon(), unix.NLM_F_DUMP)
	if err != nil {
		return nil, fmt.Errorf("list sync daemons: %w", err)
	}
	return msgs, nil
}

// ListDaemons lists the sync daemons of the caller's network namespace,
// for `lbhad ipvs list --daemon`. Errors are OpenSyncDaemons' and List's.
func ListDaemons() ([]DaemonInfo, error) {
	sd, err := OpenSyncDaemons("")
	if err != nil {
		return nil, err
	}
	defer sd.Close()
	return sd.List()
}
