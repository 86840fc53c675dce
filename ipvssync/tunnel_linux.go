//go:build linux

package ipvssync

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// errNoTunnelSocket is returned when a GUE or GRE destination is written
// through a handle made by FromMoby, which has no socket for the tunnel
// attributes.
var errNoTunnelSocket = errors.New("tunnel type, port and flags need a handle from ipvssync.Open or OpenAt")

// writeTunnel adds or updates a TUN destination with its tunnel
// attributes (destmsg.go). Without the second socket, a plain IPIP
// destination still goes through moby/ipvs, which is what the kernel
// assumes when the attributes are absent.
func (m mobyKernel) writeTunnel(update bool, k ServiceKey, d Destination) error {
	if m.gen == nil {
		if d.tunneled() {
			return errNoTunnelSocket
		}
		if update {
			return m.h.UpdateDestination(serviceToIPVS(Service{Key: k}), destToIPVS(d))
		}
		return m.h.NewDestination(serviceToIPVS(Service{Key: k}), destToIPVS(d))
	}
	_, err := m.gen.exec(MarshalDest(update, k, d), unix.NLM_F_ACK)
	return err
}

// readTunnels fills in the tunnel attributes of the TUN destinations in
// ds, which moby/ipvs read without them, from one GET_DEST dump of k. A
// service without TUN destinations costs nothing more.
func (m mobyKernel) readTunnels(k ServiceKey, ds []Destination) error {
	if m.gen == nil {
		return nil
	}
	idx := map[DestKey]int{}
	for i, d := range ds {
		if d.Forward == ForwardTunnel {
			idx[d.Key()] = i
		}
	}
	if len(idx) == 0 {
		return nil
	}
	msgs, err := m.gen.exec(MarshalGetDests(k), unix.NLM_F_DUMP)
	if err != nil {
		return fmt.Errorf("read tunnel settings of %s: %w", k, err)
	}
	for _, msg := range msgs {
		d, err := UnmarshalDest(msg, k.Family)
		if err != nil {
			return fmt.Errorf("read tunnel settings of %s: %w", k, err)
		}
		d.Addr = d.Addr.Unmap()
		if i, ok := idx[d.Key()]; ok {
			ds[i].TunType, ds[i].TunPort, ds[i].TunFlags = d.TunType, d.TunPort, d.TunFlags
		}
	}
	return nil
}
