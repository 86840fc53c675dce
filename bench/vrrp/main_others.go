//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "vrrpbench needs Linux network namespaces")
	os.Exit(2)
}
