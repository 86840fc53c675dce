//go:build !linux

// Command ipvsbench needs Linux (network namespaces, IPVS, qemu).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ipvsbench: Linux only")
	os.Exit(1)
}
