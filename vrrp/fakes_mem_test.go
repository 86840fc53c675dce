package vrrp

import "net/netip"

// sinkTransport counts what a Router sends.
type sinkTransport struct{ sent int }

func (s *sinkTransport) ReadFrom([]byte) (int, RecvMeta, error) { select {} }
func (s *sinkTransport) WriteTo([]byte, netip.Addr) error       { s.sent++; return nil }
func (s *sinkTransport) Close() error                           { return nil }

// nopAddrs is an AddrManager that holds nothing.
type nopAddrs struct{}

func (nopAddrs) Add(VIPAddr) error    { return nil }
func (nopAddrs) Remove(VIPAddr) error { return nil }
