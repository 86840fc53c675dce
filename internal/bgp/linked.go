package bgp

import (
	"errors"

	"go.uber.org/zap"
)

// ErrNotLinked is returned for a config with a bgp block by an lbhad
// built without GoBGP (build tag nogobgp): the lean binary a
// VRRP-only director runs, which re-executes the full one when a
// config asks for BGP (see cmd/lbhad).
var ErrNotLinked = errors.New("bgp: this lbhad is built without the BGP speaker (GoBGP)")

// NewDefault makes the production speaker; it is nil in a binary built
// without GoBGP.
var NewDefault func(log *zap.Logger) Speaker
