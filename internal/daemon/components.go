package daemon

import "go.uber.org/zap"

// defaultComponents is the production set, in start order. Stop runs in
// reverse, so the VRRP routers (started first) stop last and the VIPs
// stay up until everything behind them is down.
func defaultComponents(log *zap.Logger) []Component {
	return nil
}
