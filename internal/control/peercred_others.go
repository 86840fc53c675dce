//go:build !linux

package control

import (
	"errors"
	"net"
)

// peerCred is not implemented off Linux: the peer stays unknown, so
// RequireRoot refuses every state-changing command.
func peerCred(*net.UnixConn) (Peer, error) {
	return Peer{}, errors.New("peer credentials are not implemented on this OS")
}
