package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// TestDiagnosticsMaskSecrets: the snippets printed with diagnostics
// (validate, start-up errors) never show a secret, whether the file
// parses or not, while still pointing at the right line and column.
func TestDiagnosticsMaskSecrets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		secrets []string
		want    []string // must still be in the output
	}{
		{"auth_pass too long", `
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 100
  virtual_ipaddress = ["192.0.2.50/24"]
  authentication {
    auth_type = "PASS"
    auth_pass = "TOOLONGsecret99"
  }
}
`, []string{"TOOLONGsecret99", "secret99"}, []string{"x.hcl:9:17: error: auth_pass too long", `auth_pass = "***************"`}},
		{"syntax error on the secret line", `
vrrp_instance "VI_1" {
  authentication {
    auth_pass = "SYNsecret
  }
}
`, []string{"SYNsecret"}, []string{"x.hcl:4:"}},
		{"webhook url, header and secret", `
global {
  notification {
    webhook "chat" {
      url     = "ftp://u:URLpw@hooks.example.com/services/PATHtok?q=QTOK"
      secret  = 42
      headers = { "Authorization" = ["Bearer HDRtok"], X = "HDRplain" }
      timeout = "TIMEOUT"
    }
  }
}
`, []string{"PATHtok", "QTOK", "URLpw", "HDRtok", "HDRplain"}, []string{"x.hcl:5:17: error: Invalid url", "hooks.example.com"}},
		{"email password", `
global {
  notification {
    email {
      server = "smtp example com"
      from = "a@example.com"
      to = ["b@example.com"]
      password = "SMTPpw" server = "x"
    }
  }
}
`, []string{"SMTPpw"}, []string{"x.hcl:8:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := hclparse.NewParser()
			_, diags := Parse([]byte(tc.src), "x.hcl")
			if !diags.HasErrors() {
				t.Fatal("fixture has no error")
			}
			p.ParseHCL([]byte(tc.src), "x.hcl")
			var out bytes.Buffer
			if err := WriteDiagnostics(&out, p.Files(), diags, 0, false); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.secrets {
				if strings.Contains(out.String(), s) {
					t.Errorf("output shows %q:\n%s", s, out.String())
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestMaskURLPathSafe(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`webhook "a" {
  url = "https://u:pw@h.example.com/p/TOK?x=1"
}`, `webhook "a" {
  url = "https://****@h.example.com**********"
}`},
		{`webhook "a" {
  url = "https://h.example.com/p/visible?x=1"
  url_path_safe = true
}`, `webhook "a" {
  url = "https://h.example.com/p/visible****"
  url_path_safe = true
}`},
		{`webhook "a" {
  url = "https://h.example.com/p/TOK"
  url_path_safe = "true"
}`, `webhook "a" {
  url = "https://h.example.com******"
  url_path_safe = "true"
}`},
		// A url outside a webhook block is not a secret.
		{`x {
  url = "https://h.example.com/p"
}`, `x {
  url = "https://h.example.com/p"
}`},
	} {
		if got := string(MaskSource([]byte(tc.src), "x.hcl")); got != tc.want {
			t.Errorf("MaskSource:\n%s\ngot:\n%s\nwant:\n%s", tc.src, got, tc.want)
		}
	}
	// Masking copies: the parser's files keep their bytes.
	p := hclparse.NewParser()
	f, _ := p.ParseHCL([]byte(`auth_pass = "keep"`), "k.hcl")
	MaskSecrets(map[string]*hcl.File{"k.hcl": f})
	if !bytes.Contains(f.Bytes, []byte("keep")) {
		t.Error("MaskSecrets changed its input")
	}
}
