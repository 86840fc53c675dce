package config

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Diagnostics are printed with a snippet of the source around the
// problem, and `lbhad validate` and start-up errors end up in the
// journal. A snippet must not carry a password, so the files are masked
// before printing: the values of secret attributes are overwritten with
// '*' of the same length, so every range still points at the same
// line and column.

// secretAttrs are attributes whose whole value is secret wherever they
// appear: auth_pass (vrrp_instance authentication), password (email)
// and secret (webhook).
var secretAttrs = map[string]bool{"auth_pass": true, "password": true, "secret": true}

// MaskSecrets returns copies of files in which the values of auth_pass,
// password, secret and webhook headers, and the path, query and user
// information of webhook URLs (unless the webhook sets url_path_safe =
// true, which leaves its path visible), are replaced by '*'. files is
// not modified.
func MaskSecrets(files map[string]*hcl.File) map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f == nil {
			continue
		}
		out[name] = &hcl.File{Body: f.Body, Bytes: MaskSource(f.Bytes, name), Nav: f.Nav}
	}
	return out
}

// MaskSource returns a copy of an HCL file's bytes with its secrets
// masked (see MaskSecrets). Source that does not parse is masked line
// by line: an attribute named like a secret has the rest of its line
// masked, and so does anything after the host in a URL.
func MaskSource(src []byte, filename string) []byte {
	b := append([]byte(nil), src...)
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if f != nil {
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			maskBody(b, body, "")
		}
	}
	if diags.HasErrors() || f == nil {
		maskLines(b)
	}
	return b
}

func maskBody(b []byte, body *hclsyntax.Body, blockType string) {
	for name, a := range body.Attributes {
		switch {
		case secretAttrs[name]:
			maskRange(b, a.Expr.Range())
		case name == "headers":
			if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
				for _, it := range obj.Items {
					maskRange(b, it.ValueExpr.Range())
				}
			} else {
				maskRange(b, a.Expr.Range())
			}
		case name == "url" && blockType == "webhook":
			maskURL(b, a.Expr.Range(), pathSafe(body))
		}
	}
	for _, blk := range body.Blocks {
		maskBody(b, blk.Body, blk.Type)
	}
}

// pathSafe reports whether a webhook block says url_path_safe = true
// (literally; anything else keeps the path masked).
func pathSafe(body *hclsyntax.Body) bool {
	a, ok := body.Attributes["url_path_safe"]
	if !ok {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.Bool && v.IsKnown() && !v.IsNull() && v.True()
}

// maskRange overwrites a value's bytes with '*', keeping quotes, braces
// and line breaks so the snippet keeps its shape.
func maskRange(b []byte, r hcl.Range) {
	start, end := r.Start.Byte, r.End.Byte
	if start < 0 || end > len(b) || start >= end {
		return
	}
	for i := start; i < end; i++ {
		switch b[i] {
		case '"', '\n', '\r', '{', '}', '[', ']', ',':
		default:
			b[i] = '*'
		}
	}
}

// maskURL masks a URL literal from the first '/' after the host, or
// only its query when the path is safe, and any user information.
func maskURL(b []byte, r hcl.Range, pathSafe bool) {
	start, end := r.Start.Byte, r.End.Byte
	if start < 0 || end > len(b) || start >= end {
		return
	}
	s := string(b[start:end])
	scheme := strings.Index(s, "://")
	if scheme < 0 {
		maskRange(b, r) // not a URL literal: hide it all
		return
	}
	hostStart := scheme + 3
	hostEnd := len(s)
	if i := strings.IndexAny(s[hostStart:], "/?#\""); i >= 0 {
		hostEnd = hostStart + i
	}
	if at := strings.LastIndex(s[hostStart:hostEnd], "@"); at >= 0 {
		mask(b[start+hostStart : start+hostStart+at])
	}
	from := hostEnd
	if pathSafe {
		q := strings.IndexAny(s[hostEnd:], "?#")
		if q < 0 {
			return
		}
		from = hostEnd + q
	}
	to := len(s)
	if strings.HasSuffix(s, "\"") {
		to--
	}
	if from < to {
		mask(b[start+from : start+to])
	}
}

func mask(b []byte) {
	for i := range b {
		if b[i] != '\n' && b[i] != '\r' {
			b[i] = '*'
		}
	}
}

var (
	secretLine = regexp.MustCompile(`(?m)\b(?:auth_pass|password|secret)\s*=\s*([^\n]*)$`)
	urlLine    = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/?#"\s]*([^"\s]*)`)
	userLine   = regexp.MustCompile(`://([^/?#"\s@]*)@`)
)

// maskLines is the fallback for source that does not parse.
func maskLines(b []byte) {
	for _, m := range secretLine.FindAllSubmatchIndex(b, -1) {
		mask(b[m[2]:m[3]])
	}
	for _, m := range urlLine.FindAllSubmatchIndex(b, -1) {
		mask(b[m[2]:m[3]])
	}
	// User information before the host.
	for _, m := range userLine.FindAllSubmatchIndex(b, -1) {
		mask(b[m[2]:m[3]])
	}
}
