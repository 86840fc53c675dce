package config

import "errors"

// errHex is returned by parseHex for anything but hex digits, blanks
// and (where allowed) wildcards.
var errHex = errors.New("not a hex string")

// parseHex reads a udp_check payload or reply the way keepalived reads
// them: hex digits two to a byte, blanks (space, tab) ignored between
// bytes, and a single digit before a blank being a byte of its own
// ("1 02" is 01 02). With wildcards, an x or X stands for any half byte:
// mask has those bits set (nil when there is none). An empty string or
// any other character is an error.
func parseHex(s string, wildcards bool) (data, mask []byte, err error) {
	nibble := func(c byte) (v, m byte, ok bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', 0, true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, 0, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, 0, true
		case wildcards && (c == 'x' || c == 'X'):
			return 0, 0x0f, true
		}
		return 0, 0, false
	}
	masked := false
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		v, m, ok := nibble(s[i])
		if !ok {
			return nil, nil, errHex
		}
		i++
		if i < len(s) && s[i] != ' ' && s[i] != '\t' {
			v2, m2, ok := nibble(s[i])
			if !ok {
				return nil, nil, errHex
			}
			v, m = v<<4|v2, m<<4|m2
			i++
		}
		data, mask = append(data, v), append(mask, m)
		masked = masked || m != 0
	}
	if len(data) == 0 {
		return nil, nil, errHex
	}
	if !masked {
		mask = nil
	}
	return data, mask, nil
}
