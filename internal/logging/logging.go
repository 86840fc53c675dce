package logging

import (
	"fmt"
	"io"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// Options choose the logger New builds.
type Options struct {
	Format string // "console" (people) or "json" (log shippers)
	Level  string // debug, info, warn, error
	// Journal is true when the output is a journald stream
	// (JournalStream): no time of our own, a "<N>" priority per line.
	Journal bool
}

// New builds the logger writing to w. It returns an error naming the
// flag for an unknown format or level.
func New(opts Options, w io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(opts.Level)
	if err != nil {
		return nil, fmt.Errorf("bad --log-level %q: use debug, info, warn or error", opts.Level)
	}
	enc, err := NewEncoder(opts)
	if err != nil {
		return nil, err
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)), nil
}

// NewEncoder is the encoder New uses for opts: console or JSON,
// durations as text ("2s", "150ms") in both, and with Journal set no
// time field and a priority prefix on every line.
func NewEncoder(opts Options) (zapcore.Encoder, error) {
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.EncodeDuration = zapcore.StringDurationEncoder
	if opts.Journal {
		cfg.TimeKey = "" // journald stamps each record itself
	}
	var enc zapcore.Encoder
	switch opts.Format {
	case "console":
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(cfg)
	case "json":
		enc = zapcore.NewJSONEncoder(cfg)
	default:
		return nil, fmt.Errorf("bad --log-format %q: use console or json", opts.Format)
	}
	if opts.Journal {
		enc = priorityEncoder{enc}
	}
	return enc, nil
}

// Priority is the syslog priority journald gives a record of level l:
// debug 7, info 6, warn 4, error 3, and 2 (critical) for the levels
// that end the program or panic.
func Priority(l zapcore.Level) int {
	switch {
	case l <= zapcore.DebugLevel:
		return 7
	case l == zapcore.InfoLevel:
		return 6
	case l == zapcore.WarnLevel:
		return 4
	case l == zapcore.ErrorLevel:
		return 3
	}
	return 2
}

// priorityEncoder prefixes every line an entry produces with "<N>":
// journald reads the prefix of each line it receives, so a message with
// a newline in it keeps its priority on its continuation lines too.
type priorityEncoder struct{ zapcore.Encoder }

var pool = buffer.NewPool()

func (e priorityEncoder) Clone() zapcore.Encoder { return priorityEncoder{e.Encoder.Clone()} }

func (e priorityEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	in, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	defer in.Free()
	prefix := fmt.Sprintf("<%d>", Priority(ent.Level))
	out := pool.Get()
	text := strings.TrimSuffix(in.String(), "\n")
	for line := range strings.SplitSeq(text, "\n") {
		out.AppendString(prefix)
		out.AppendString(line)
		out.AppendByte('\n')
	}
	return out, nil
}
