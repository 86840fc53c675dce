package checker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// reason turns a dial, TLS or I/O error into the few plain words an
// operator reads in "real server ... is gone (reason, n failures)".
func reason(err error, timeout time.Duration) string {
	var (
		ne       net.Error
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		header   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout after " + timeout.String()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "source address not available"
	case errors.As(err, &unknown):
		return "TLS: certificate signed by unknown authority"
	case errors.As(err, &hostname):
		return "TLS: certificate is not valid for " + hostname.Host
	case errors.As(err, &invalid):
		return "TLS: " + invalid.Error()
	case errors.As(err, &verify):
		return "TLS: " + verify.Err.Error()
	case errors.As(err, &header):
		return "TLS: server did not answer with TLS"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by server"
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	// Errors that crypto/tls and net/http do not export as types.
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "TLS: server answered in plain HTTP"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" { // a TLS alert from the server
		return "TLS: server sent alert: " + strings.TrimPrefix(op.Err.Error(), "tls: ")
	}
	return msg
}
