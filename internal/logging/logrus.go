package logging

import (
	"io"
	"sync"

	"github.com/sirupsen/logrus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

var routeOnce sync.Once

// RouteLogrus sends what logrus's standard logger logs (moby/ipvs uses
// it, e.g. when modprobe ip_vs fails) to log, tagged
// component=logrus, at the matching level, and stops logrus writing to
// stderr itself. Only the first call in a process takes effect: logrus's
// logger is global.
func RouteLogrus(log *zap.Logger) {
	routeOnce.Do(func() { routeLogrus(logrus.StandardLogger(), log) })
}

func routeLogrus(l *logrus.Logger, log *zap.Logger) {
	l.SetOutput(io.Discard)
	l.SetLevel(logrus.TraceLevel) // zap's level decides
	l.AddHook(&zapHook{log: log.With(zap.String("component", "logrus"))})
}

// zapHook is a logrus hook writing each entry to zap.
type zapHook struct{ log *zap.Logger }

func (*zapHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *zapHook) Fire(e *logrus.Entry) error {
	lvl := zapLevel(e.Level)
	ce := h.log.Check(lvl, e.Message)
	if ce == nil {
		return nil
	}
	fields := make([]zap.Field, 0, len(e.Data))
	for k, v := range e.Data {
		if err, ok := v.(error); ok && k == logrus.ErrorKey {
			fields = append(fields, zap.Error(err))
			continue
		}
		fields = append(fields, zap.Any(k, v))
	}
	ce.Write(fields...)
	return nil
}

// zapLevel maps logrus's levels onto zap's. Fatal and panic become
// error: a library must not end lbhad through its logger, and logrus
// itself exits or panics after its hooks for those.
func zapLevel(l logrus.Level) zapcore.Level {
	switch l {
	case logrus.TraceLevel, logrus.DebugLevel:
		return zapcore.DebugLevel
	case logrus.InfoLevel:
		return zapcore.InfoLevel
	case logrus.WarnLevel:
		return zapcore.WarnLevel
	}
	return zapcore.ErrorLevel
}
