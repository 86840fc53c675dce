// Package noprofile turns the Go runtime's heap profiler off as early
// as a package init can; cmd/lbhad imports it for that side effect.
//
// Go samples about one allocation per 512 KiB by default. The first
// sample maps a 1.4 MB hash table of profile buckets, and every new
// allocation stack lands on some page of it: at 1,000 VRRP instances
// about a hundred buckets, so about 0.4 MB of resident table, for a
// profile nobody reads (docs/PERFORMANCE.md, "VRRP memory"). Go runs
// package inits in import-path order among the packages whose imports
// are done, and this one imports only the runtime, so it runs after
// about 24 KB of allocation, before the dependencies' inits. The table
// may exist by then, but only the pages of those first samples are
// touched. LBHAD_MEMPROFILE turns sampling back on for `lbhad run`.
package noprofile

import "runtime"

func init() { runtime.MemProfileRate = 0 }
