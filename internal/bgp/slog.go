//go:build !nogobgp

package bgp

import (
	"context"
	"log/slog"

	"go.uber.org/zap"
)

// zapHandler passes GoBGP's slog records to the daemon's zap logger
// (warnings and errors only: GoBGP reports every FSM step at info).
type zapHandler struct {
	log   *zap.Logger
	attrs []zap.Field
}

func (h zapHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h zapHandler) Handle(_ context.Context, r slog.Record) error {
	fields := append([]zap.Field{}, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		fields = append(fields, zap.Any(a.Key, a.Value.Any()))
		return true
	})
	if r.Level >= slog.LevelError {
		h.log.Error("gobgp: "+r.Message, fields...)
	} else {
		h.log.Warn("gobgp: "+r.Message, fields...)
	}
	return nil
}

func (h zapHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := zapHandler{log: h.log, attrs: append([]zap.Field{}, h.attrs...)}
	for _, a := range as {
		n.attrs = append(n.attrs, zap.Any(a.Key, a.Value.Any()))
	}
	return n
}

func (h zapHandler) WithGroup(string) slog.Handler { return h }
