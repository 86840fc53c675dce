package main

import (
	"io"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// logFlags are the daemon's logging options. A new logging flag is a
// field here, its definition in add, and its use in logger; "run" needs
// no change (log.go builds the logger itself).
type logFlags struct{ format, level string }

func (l *logFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&l.format, "log-format", "console", "log `FORMAT`: console or json")
	fs.StringVar(&l.level, "log-level", "info", "log `LEVEL`: debug, info, warn, error")
	_ = cmd.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"console", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
}

// logger builds the daemon's logger writing to w; a bad value is the
// caller's usage error.
func (l *logFlags) logger(w io.Writer) (*zap.Logger, error) {
	return newLogger(l.format, l.level, w)
}
