package checker

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Checker runs one probe attempt. Implementations apply their own timeout
// (the spec's ConnectTimeout, or the script timeout) on top of ctx, never
// retry and keep no state between calls, so the engine alone owns retries,
// rise/fall and scheduling.
type Checker interface {
	Check(ctx context.Context) Result
}

// Result is the outcome of one attempt.
type Result struct {
	OK bool
	// Reason says in plain words why the attempt failed ("HTTP 503",
	// "connection refused", "timeout after 5s", "body did not match",
	// "exit status 1"); empty when OK.
	Reason  string
	Latency time.Duration
	// Weight is set by misc_dynamic checks that exit with 2..255: the real
	// server's weight becomes code-2. Nil leaves the weight unchanged.
	Weight *int
	// Output is the start of a script's combined stdout and stderr, at most
	// MaxScriptOutput bytes; empty for network checks.
	Output string
}

// Kind selects the probe of a Spec. The daemon maps config.CheckKind to
// it by name.
type Kind int

// Probe kinds.
const (
	KindHTTP   Kind = iota // http_get
	KindSSL                // ssl_get
	KindTCP                // tcp_check
	KindMisc               // misc_check
	KindScript             // vrrp_script
	KindDNS                // dns_check
	KindUDP                // udp_check
	KindPing               // ping_check
	KindSMTP               // smtp_check
	KindFile               // file_check
)

func (k Kind) String() string {
	switch k {
	case KindHTTP:
		return "http_get"
	case KindSSL:
		return "ssl_get"
	case KindTCP:
		return "tcp_check"
	case KindMisc:
		return "misc_check"
	case KindScript:
		return "vrrp_script"
	case KindDNS:
		return "dns_check"
	case KindUDP:
		return "udp_check"
	case KindPing:
		return "ping_check"
	case KindSMTP:
		return "smtp_check"
	case KindFile:
		return "file_check"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Start is the state a check assumes before its first verdict.
type Start int

const (
	// StartUp assumes the target is up, as keepalived does for real
	// servers (without alpha) and for vrrp_scripts (without init_fail):
	// nothing changes until Fall consecutive failures. It is the zero value
	// so that a mapped keepalived configuration behaves like keepalived.
	StartUp Start = iota
	// StartDown is keepalived's alpha mode: the target is down until Rise
	// consecutive successes.
	StartDown
	// StartUnknown has no verdict until the first counted attempt, which
	// decides either way at once and is reported as an event; after that
	// Rise and Fall apply. Use it when neither guess is safe.
	StartUnknown
)

// State is a check's current verdict.
type State int

// Verdicts. StateUnknown only occurs before the first attempt of a
// StartUnknown check.
const (
	StateUnknown State = iota
	StateUp
	StateDown
)

func (s State) String() string {
	switch s {
	case StateUp:
		return "up"
	case StateDown:
		return "down"
	default:
		return "unknown"
	}
}

// Spec describes one check. Its fields mirror config.Check so the daemon
// maps them one to one; the engine keys checks by ID and treats a spec that
// is not deeply equal to the previous one with the same ID as a new check.
type Spec struct {
	// ID identifies the check across Engine.Set calls; unique, non-empty.
	// The daemon might use "vs-name/192.0.2.7:80" or "script/chk_nginx".
	ID string
	// Name is used by Event.String for scripts; defaults to ID.
	Name string
	Kind Kind
	// Target is the real server (invalid for KindScript). Network checks
	// connect here unless ConnectIP/ConnectPort override it; misc checks
	// export it in the environment.
	Target netip.AddrPort
	// VirtualServer names the virtual server, exported to misc checks.
	VirtualServer string

	Interval         time.Duration // delay_loop; default 60s (1s for scripts)
	ConnectTimeout   time.Duration // whole-attempt limit of network checks; default 5s
	Rise             int           // consecutive successes to go up; default 1
	Fall             int           // consecutive counted failures to go down; default 1
	Retry            int           // failed attempts retried this many times before one failure counts
	DelayBeforeRetry time.Duration // wait before such a retry; default 1s
	Warmup           time.Duration // the first attempt waits a hashed delay of at most this
	Initial          Start

	ConnectIP   netip.Addr // invalid: Target's address
	ConnectPort uint16     // 0: Target's port
	BindTo      netip.Addr // source address; invalid: kernel's choice

	HTTP *HTTPSpec // KindHTTP, KindSSL; nil means all defaults
	TCP  *TCPSpec  // KindTCP; nil means connect only
	Misc *MiscSpec // KindMisc, KindScript; required
	DNS  *DNSSpec  // KindDNS; nil means keepalived's SOA query for "."
	UDP  *UDPSpec  // KindUDP; nil means the default payload, no reply needed
	SMTP *SMTPSpec // KindSMTP; nil means all defaults
	File *FileSpec // KindFile; required
}

// HTTPSpec mirrors config.HTTPCheck.
type HTTPSpec struct {
	Path        string // default "/"
	VirtualHost string // Host header; "" uses the address
	Status      []StatusRange
	BodyRegex   string // RE2 syntax, matched against the first MaxBody bytes
	Digest      string // hex MD5 of the body, as keepalived's genhash prints it
	// URLs, when not empty, replace Path, Status, BodyRegex and Digest:
	// every URL is fetched in order on each attempt and all must pass
	// (keepalived's url blocks). A URL without a VirtualHost uses the
	// spec's.
	URLs []URLSpec
	// TLS, used by ssl_get. Unlike keepalived, certificates are verified
	// unless Insecure is set.
	ServerName string // SNI and verified name; defaults to VirtualHost
	CAFile     string // PEM roots; "" uses the system pool
	CertFile   string // client certificate (PEM), with KeyFile
	KeyFile    string
	Insecure   bool
}

// URLSpec is one URL of an http_get or ssl_get.
type URLSpec struct {
	Path        string
	VirtualHost string
	Status      []StatusRange
	BodyRegex   string
	Digest      string
}

// StatusRange is an inclusive range of accepted HTTP status codes. No
// ranges means 200-299.
type StatusRange struct{ Min, Max int }

// TCPSpec mirrors config.TCPCheck: after connecting, Send is written and
// the reply must contain Expect within the timeout.
type TCPSpec struct {
	Send   string
	Expect string
}

// MiscSpec mirrors config.MiscCheck and also carries a vrrp_script.
type MiscSpec struct {
	Path    string        // command line, split by SplitCommand
	Timeout time.Duration // default: the spec's Interval
	Dynamic bool          // misc_dynamic: exit 2..255 means up with weight code-2
	User    string        // run as this user's uid/gid; "" keeps the daemon's
	// Secure is enable_script_security: the program must pass the
	// ownership rule of script.Resolve when the check is built and again
	// before every run, or it is refused (the check fails).
	Secure bool
}

// DNSSpec mirrors config.DNSCheck.
type DNSSpec struct {
	Type   string // record type name, such as "A"; default "SOA"
	Name   string // default "." (the root)
	Expect string // "": any NOERROR reply passes
}

// UDPSpec mirrors config.UDPCheck.
type UDPSpec struct {
	Payload      []byte // nil: keepalived's filler
	RequireReply bool
	Reply        []byte
	ReplyMask    []byte
	MinReplyLen  int
	MaxReplyLen  int // 0: 255
}

// SMTPSpec mirrors config.SMTPCheck.
type SMTPSpec struct {
	HeloName string // default "smtpchecker.keepalived.org"
	EHLO     bool
}

// FileSpec mirrors config.FileCheck plus the real server's configured
// weight, which the file's number is added to.
type FileSpec struct {
	Path       string
	Weight     int
	Reverse    bool
	BaseWeight int
}

// Event reports a verdict change of one check.
type Event struct {
	ID     string
	Name   string
	Kind   Kind
	Target netip.AddrPort
	Up     bool
	// StateChanged is false when only Weight changed (misc_dynamic).
	StateChanged bool
	Reason       string // the last attempt's reason; empty when up
	Latency      time.Duration
	Failures     int  // consecutive counted failures
	Weight       *int // last weight set by misc_dynamic; nil if never
	Time         time.Time
}

// String renders the event as the sentence the daemon logs, such as
// "real server 192.168.10.7:80 is gone (HTTP 503, 3 failures)".
func (e Event) String() string {
	var b strings.Builder
	if e.Kind == KindScript || !e.Target.IsValid() {
		name := e.Name
		if name == "" {
			name = e.ID
		}
		b.WriteString("script " + name)
	} else {
		b.WriteString("real server " + e.Target.String())
	}
	switch {
	case !e.Up:
		fmt.Fprintf(&b, " is gone (%s, %d failure", e.Reason, e.Failures)
		if e.Failures != 1 {
			b.WriteByte('s')
		}
		b.WriteByte(')')
	case e.StateChanged:
		b.WriteString(" is back")
		if e.Weight != nil {
			fmt.Fprintf(&b, " with weight %d", *e.Weight)
		}
	default:
		w := "unchanged"
		if e.Weight != nil {
			w = fmt.Sprint(*e.Weight)
		}
		fmt.Fprintf(&b, " now has weight %s", w)
	}
	return b.String()
}

// withDefaults fills the zero fields the way keepalived would.
func (s Spec) withDefaults() Spec {
	if s.Interval <= 0 {
		if s.Kind == KindScript {
			s.Interval = time.Second
		} else {
			s.Interval = 60 * time.Second
		}
	}
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = 5 * time.Second
	}
	s.Rise = max(s.Rise, 1)
	s.Fall = max(s.Fall, 1)
	s.Retry = max(s.Retry, 0)
	if s.DelayBeforeRetry <= 0 {
		s.DelayBeforeRetry = time.Second
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	return s
}

// errNoAddress: a network check needs an address and a non-zero port,
// from Target or the connect_ip/connect_port overrides (fwmark services
// have port 0 real servers).
var errNoAddress = errors.New("no address and port to connect to: set the target or connect_ip and connect_port")

// dialAddr is where network checks connect.
func (s Spec) dialAddr() netip.AddrPort {
	ip, port := s.Target.Addr(), s.Target.Port()
	if s.ConnectIP.IsValid() {
		ip = s.ConnectIP
	}
	if s.ConnectPort != 0 {
		port = s.ConnectPort
	}
	return netip.AddrPortFrom(ip, port)
}

// New builds the Checker for s (defaults applied). It returns an error for
// an unknown kind, a network check without address or port, a missing
// Misc block, an invalid regex, digest or command line, an unreadable CA
// or client certificate, or an unknown user.
func New(s Spec) (Checker, error) {
	s = s.withDefaults()
	switch s.Kind {
	case KindHTTP, KindSSL, KindTCP, KindDNS, KindUDP, KindSMTP:
		if a := s.dialAddr(); !a.Addr().IsValid() || a.Port() == 0 {
			return nil, errNoAddress
		}
	case KindPing:
		if !s.dialAddr().Addr().IsValid() {
			return nil, errNoAddress
		}
	}
	switch s.Kind {
	case KindHTTP, KindSSL:
		return newHTTP(s)
	case KindTCP:
		return newTCP(s)
	case KindMisc, KindScript:
		return newScript(s)
	case KindUDP:
		return newUDP(s)
	case KindSMTP:
		return newSMTP(s)
	case KindDNS:
		return newDNS(s)
	case KindFile:
		return newFile(s)
	case KindPing:
		return newPing(s)
	default:
		return nil, fmt.Errorf("unknown check kind %d", int(s.Kind))
	}
}

// broken stands in for a check whose spec could not be built, so the
// target is still judged (and goes down with a reason that says why)
// instead of silently staying up.
type broken struct{ reason string }

func (b broken) Check(context.Context) Result { return Result{Reason: b.reason} }
