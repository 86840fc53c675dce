package main

import (
	"io"
	"os"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/logging"
)

// newLogger builds the one logger the daemon passes down (console for
// people, json for log shippers) and routes moby/ipvs's logrus output
// into it. When w is stderr and systemd connected it to journald, lines
// carry a syslog priority instead of a time of their own.
func newLogger(format, level string, w io.Writer) (*zap.Logger, error) {
	f, _ := w.(*os.File)
	log, err := logging.New(logging.Options{Format: format, Level: level, Journal: logging.JournalStream(f)}, w)
	if err != nil {
		return nil, err
	}
	logging.RouteLogrus(log)
	return log, nil
}
