// Command lbhad keeps a Linux load-balancer director pair highly
// available: VRRPv2 election, IPVS reconciliation and health checks from
// one HCL file. See `lbhad help`.
package main

import (
	"os"

	_ "github.com/lbhad/lbhad/internal/noprofile" // first: before other inits allocate
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
