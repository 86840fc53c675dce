//go:build integration

// Command bgpdirector is lbhad's daemon, built as production builds it
// (daemon.Run: every part, the control socket, the checks, BGP over
// GoBGP), with one port replaced: IPVS is ipvssync's in-memory kernel,
// because the host kernel that runs the netns tests has no IPVS. It
// lets integration/bgp_bird_test.go prove announcements against a real
// router on the host; the IPVS side of ECMP is proved in the guest.
//
//	bgpdirector -c lbhad.hcl
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/daemon"
	"github.com/lbhad/lbhad/ipvssync"
)

// handle is the in-memory kernel as the IPVS component opens it.
type handle struct{ *ipvssync.FakeKernel }

func (handle) Close() {}

func main() {
	path := flag.String("c", "", "config file")
	flag.Parse()
	log, err := zap.NewDevelopment()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kernel := ipvssync.NewFakeKernel()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err = daemon.Run(ctx, daemon.Options{
		ConfigPath: *path, Logger: log,
		Ports: daemon.Ports{OpenIPVS: func() (ipvssync.Handle, error) { return handle{kernel}, nil }},
	})
	if err != nil {
		log.Error("exit", zap.Error(err))
		os.Exit(1)
	}
}
