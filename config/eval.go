package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// builder turns raw decoded blocks into the typed Config, collecting every
// problem as a diagnostic instead of stopping at the first one, so a user
// fixes a whole file in one edit-check cycle.
type builder struct {
	diags hcl.Diagnostics
	host  Host // nil: do not ask about the machine
}

func (b *builder) add(d hcl.Diagnostics) { b.diags = append(b.diags, d...) }

func (b *builder) errorf(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

func (b *builder) warnf(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

// present reports whether an optional attribute was written in the file.
// gohcl fills absent optional expressions with a static null.
func present(e hcl.Expression) bool {
	if e == nil {
		return false
	}
	v, _ := e.Value(nil)
	return !v.IsNull()
}

// require reports a missing required attribute. gohcl leaves that to us
// for hcl.Expression fields: it fills them with a null whose range is where
// the attribute is missing, which is the range hcl itself would report.
func (b *builder) require(e hcl.Expression, name string) bool {
	if present(e) {
		return true
	}
	rng := hcl.Range{}
	if e != nil {
		rng = e.Range()
	}
	b.errorf(rng, "Missing required argument", "The argument %q is required, but no definition was found.", name)
	return false
}

// value evaluates e without variables or functions. It returns false when
// the attribute is absent, null or could not be evaluated (then a
// diagnostic was recorded).
func (b *builder) value(e hcl.Expression) (cty.Value, bool) {
	if e == nil {
		return cty.NilVal, false
	}
	v, d := e.Value(nil)
	b.add(d)
	if d.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		b.errorf(e.Range(), "Invalid expression", "The value of this expression cannot be known when the configuration is loaded.")
		return cty.NilVal, false
	}
	return v, true
}

func (b *builder) typeErr(e hcl.Expression, name, want string) {
	b.errorf(e.Range(), "Incorrect attribute value type", "Inappropriate value for attribute %q: %s required.", name, want)
}

func (b *builder) str(e hcl.Expression, name string) (string, bool) {
	v, ok := b.value(e)
	if !ok {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		b.typeErr(e, name, "a string is")
		return "", false
	}
	return s.AsString(), true
}

// strDefault returns the attribute's string or def when it is absent.
func (b *builder) strDefault(e hcl.Expression, name, def string) string {
	if s, ok := b.str(e, name); ok {
		return s
	}
	return def
}

func (b *builder) boolean(e hcl.Expression, name string) (bool, bool) {
	v, ok := b.value(e)
	if !ok {
		return false, false
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil || bv.IsNull() {
		b.typeErr(e, name, "true or false is")
		return false, false
	}
	return bv.True(), true
}

func (b *builder) boolDefault(e hcl.Expression, name string, def bool) bool {
	if v, ok := b.boolean(e, name); ok {
		return v
	}
	return def
}

// integer evaluates a whole number and checks it lies in [lo, hi]; the
// summary names the setting ("Invalid priority") and the detail says what
// is allowed.
func (b *builder) integer(e hcl.Expression, name string, lo, hi int64) (int64, bool) {
	v, ok := b.value(e)
	if !ok {
		return 0, false
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		b.typeErr(e, name, "a number is")
		return 0, false
	}
	bf := n.AsBigFloat()
	if !bf.IsInt() {
		b.errorf(e.Range(), "Invalid "+name, "%s must be a whole number from %d to %d.", name, lo, hi)
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i < lo || i > hi {
		b.errorf(e.Range(), "Invalid "+name, "%s must be a whole number from %d to %d.", name, lo, hi)
		return 0, false
	}
	return i, true
}

// maxDuration bounds durations so that conversions cannot overflow; no
// timer in lbhad is sensibly longer than a day.
const maxDuration = 24 * time.Hour

// duration accepts a Go duration string ("1s", "300ms") or a number of
// seconds, given as a number or a numeric string, like keepalived's plain
// seconds. Negative values are refused.
func (b *builder) duration(e hcl.Expression, name string) (time.Duration, bool) {
	v, ok := b.value(e)
	if !ok {
		return 0, false
	}
	bad := func() (time.Duration, bool) {
		b.errorf(e.Range(), "Invalid duration", "%s must be a duration such as \"1s\" or \"300ms\", or a number of seconds, from 0 to 24h.", name)
		return 0, false
	}
	var d time.Duration
	switch v.Type() {
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > maxDuration.Seconds() {
			return bad()
		}
		d = time.Duration(math.Round(f * float64(time.Second)))
	case cty.String:
		s := strings.TrimSpace(v.AsString())
		if pd, err := time.ParseDuration(s); err == nil {
			d = pd
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && f >= 0 && f <= maxDuration.Seconds() {
			d = time.Duration(math.Round(f * float64(time.Second)))
		} else {
			return bad()
		}
	default:
		return bad()
	}
	if d < 0 || d > maxDuration {
		return bad()
	}
	return d, true
}

// positiveDuration is duration with zero refused too.
func (b *builder) positiveDuration(e hcl.Expression, name string) (time.Duration, bool) {
	d, ok := b.duration(e, name)
	if ok && d == 0 {
		b.errorf(e.Range(), "Invalid duration", "%s must be longer than zero.", name)
		return 0, false
	}
	return d, ok
}

// wholeSeconds is duration restricted to whole seconds, for values the
// kernel or the wire carries in seconds.
func (b *builder) wholeSeconds(e hcl.Expression, name string) (time.Duration, bool) {
	d, ok := b.duration(e, name)
	if ok && d%time.Second != 0 {
		b.errorf(e.Range(), "Invalid duration", "%s must be a whole number of seconds.", name)
		return 0, false
	}
	return d, ok
}

// list evaluates a list or tuple of strings. A single string is accepted as
// a list of one, which is what users write for one peer.
func (b *builder) strList(e hcl.Expression, name string) ([]string, bool) {
	v, ok := b.value(e)
	if !ok {
		return nil, false
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}, true
	}
	if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		b.typeErr(e, name, "a list of strings is")
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		s, err := convert.Convert(ev, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			b.typeErr(e, name, "a list of strings is")
			return nil, false
		}
		out = append(out, s.AsString())
	}
	return out, true
}

func (b *builder) strMap(e hcl.Expression, name string) (map[string]string, bool) {
	v, ok := b.value(e)
	if !ok {
		return nil, false
	}
	if !(v.Type().IsMapType() || v.Type().IsObjectType()) {
		b.typeErr(e, name, "a map of strings is")
		return nil, false
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		s, err := convert.Convert(ev, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			b.typeErr(e, name, "a map of strings is")
			return nil, false
		}
		out[k.AsString()] = s.AsString()
	}
	return out, true
}

// addr parses an IP address; v4only refuses IPv6 for VRRPv2 fields.
func (b *builder) addr(e hcl.Expression, name string, v4only bool) (netip.Addr, bool) {
	s, ok := b.str(e, name)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := parseAddr(s, v4only)
	if err != nil {
		b.errorf(e.Range(), "Invalid "+name, "%s must be %s; %q %v.", name, addrWant(v4only), s, err)
		return netip.Addr{}, false
	}
	return a, true
}

func addrWant(v4only bool) string {
	if v4only {
		return "an IPv4 address such as 192.0.2.1"
	}
	return "an IP address such as 192.0.2.1 or 2001:db8::1"
}

var errNotV4 = errors.New("is not IPv4 (VRRPv2 carries IPv4 addresses only)")

func parseAddr(s string, v4only bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, errors.New("is not an IP address")
	}
	if a.Zone() != "" {
		return netip.Addr{}, errors.New("has a zone, which is not allowed")
	}
	a = a.Unmap()
	if v4only && !a.Is4() {
		return netip.Addr{}, errNotV4
	}
	return a, nil
}
