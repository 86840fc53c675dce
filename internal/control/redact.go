package control

import (
	"net/url"

	"github.com/lbhad/lbhad/config"
)

// Redacted replaces a secret that is set, so a dump shows that it is
// configured without showing it.
const Redacted = "(set)"

// Dump is the answer to "dump": the status snapshot plus the effective
// config (defaults applied) with every secret replaced by Redacted.
type Dump struct {
	Snapshot Snapshot       `json:"snapshot"`
	Config   *config.Config `json:"config,omitempty"`
}

// RedactConfig returns a copy of cfg that is safe to print: auth_pass,
// the SMTP password, webhook secrets, webhook header values (they often
// carry tokens) and the password, path and query of webhook URLs are
// replaced by Redacted (the path stays when the webhook sets
// url_path_safe: Slack-style URLs carry the token in the path). cfg itself is not modified. A nil cfg gives nil.
func RedactConfig(cfg *config.Config) *config.Config {
	if cfg == nil {
		return nil
	}
	out := *cfg
	out.Instances = make([]*config.Instance, len(cfg.Instances))
	for i, in := range cfg.Instances {
		c := *in
		c.AuthPass = redact(c.AuthPass)
		out.Instances[i] = &c
	}
	n := &out.Global.Notification
	if e := cfg.Global.Notification.Email; e != nil {
		c := *e
		c.Password = redact(c.Password)
		n.Email = &c
	}
	n.Webhooks = make([]*config.Webhook, len(cfg.Global.Notification.Webhooks))
	for i, w := range cfg.Global.Notification.Webhooks {
		c := *w
		c.Secret = redact(c.Secret)
		c.URL = redactURL(c.URL, w.URLPathSafe)
		if w.Headers != nil {
			c.Headers = make(map[string]string, len(w.Headers))
			for k, v := range w.Headers {
				c.Headers[k] = redact(v)
			}
		}
		n.Webhooks[i] = &c
	}
	if g := cfg.BGP; g != nil {
		c := *g
		c.Neighbors = make([]*config.BGPNeighbor, len(g.Neighbors))
		for i, nb := range g.Neighbors {
			cn := *nb
			cn.Password = redact(cn.Password) // the TCP MD5 key
			c.Neighbors[i] = &cn
		}
		out.BGP = &c
	}
	return &out
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// redactURL hides the password, the query and fragment, and unless
// pathSafe the path (tokens live in all of them) of a URL; an
// unparsable URL is hidden whole.
func redactURL(s string, pathSafe bool) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	if u.RawQuery != "" {
		u.RawQuery = Redacted
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = Redacted, ""
	}
	if !pathSafe && u.Path != "" && u.Path != "/" {
		u.Path, u.RawPath = "/"+Redacted, "/"+Redacted
	}
	return u.Redacted()
}
