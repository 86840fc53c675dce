package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseTrackInterface parses a track_interface entry as keepalived
// writes it: "NAME [weight W [reverse|noreverse]]".
func parseTrackInterface(s string) (TrackedInterface, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return TrackedInterface{}, errors.New("is empty")
	}
	ti := TrackedInterface{Name: f[0]}
	if !validIfName(ti.Name) {
		return ti, fmt.Errorf("does not start with an interface name")
	}
	rest := f[1:]
	if len(rest) == 0 {
		return ti, nil
	}
	if rest[0] != "weight" {
		return ti, errors.New("is not an interface name")
	}
	if len(rest) < 2 {
		return ti, errors.New("has weight without a value")
	}
	w, err := strconv.Atoi(rest[1])
	if err != nil || w < -253 || w > 253 {
		return ti, fmt.Errorf("has weight %q, not a number from -253 to 253", rest[1])
	}
	ti.Weight = w
	switch {
	case len(rest) == 2:
	case len(rest) == 3 && rest[2] == "reverse":
		ti.Reverse = true
	case len(rest) == 3 && rest[2] == "noreverse":
	default:
		return ti, errors.New("has words other than reverse or noreverse after the weight")
	}
	return ti, nil
}
