//go:build race

package main

// raceBuild makes TestMain build the binary under test with -race too:
// the packages are then already compiled for the race test itself, so
// the build costs a link instead of a second compile of every dependency.
const raceBuild = true
