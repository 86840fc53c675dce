// Package deps pins the project's chosen modules in go.mod while the
// packages that use them are being written in parallel. Remove it once
// every module here is imported by real code.
package deps

import (
	_ "github.com/coreos/go-systemd/v22/daemon"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/hashicorp/hcl/v2/gohcl"
	_ "github.com/mdlayher/packet"
	_ "github.com/moby/ipvs"
	_ "github.com/vishvananda/netlink"
	_ "github.com/zclconf/go-cty/cty"
	_ "go.uber.org/zap"
	_ "golang.org/x/net/ipv4"
	_ "golang.org/x/sys/unix"
)
