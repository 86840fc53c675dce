// Package clock is the one way lbhad's packages take time: a Clock
// gives the current time and timers, Real is the wall clock and Fake is
// a clock that moves only when a test says so.
//
// Pure cores (vrrp.Machine, ipvssync's plan) take time as an argument
// and need none of this; a Clock belongs to the driver loop around them,
// which reads the time and arms one timer for the earliest deadline. A
// Clock is passed in (a field of the component's Deps or Options, nil
// meaning Real), never set after construction.
//
// Timer has no return values, unlike *time.Timer: since Go 1.23 a
// stopped or reset timer delivers no stale value, and no caller here
// needs to know whether it was still armed.
package clock
