//go:build !nogobgp

package bgp

import "go.uber.org/zap"

// GoBGP is linked unless the build says nogobgp: the package's speaker,
// with its 18 MB of code and init-time registries, is left out of the
// lean binary (docs/PERFORMANCE.md, "GoBGP").
func init() {
	NewDefault = func(log *zap.Logger) Speaker { return NewGoBGP(log) }
}
