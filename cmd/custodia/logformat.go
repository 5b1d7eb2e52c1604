package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
)

// logProgressInterval is how often long operations log their progress
// with --log-format json.
const logProgressInterval = 10 * time.Second

// setLogFormat applies --log-format: with json, everything custodia writes
// on stderr becomes one log/slog JSON object per line — the library's
// events, warnings, notes and the last error line — through env.logger.
func (env *cliEnv) setLogFormat() error {
	switch env.logFormat {
	case "", "text":
		return nil
	case "json":
	default:
		return usagef("--log-format is text or json, not %q", env.logFormat)
	}
	if env.logger != nil {
		return nil
	}
	raw := env.stderr
	env.logger = slog.New(slog.NewJSONHandler(raw, nil))
	env.stderr = &logWriter{raw: raw, log: env.logger}
	return nil
}

// lib returns the custodia host API over r; with --log-format json its
// events are logged.
func (env *cliEnv) lib(r *repo.Repository) *custodia.Repository {
	if env.logger == nil {
		return custodia.FromRepo(r)
	}
	return custodia.FromRepo(r, custodia.WithEvents(monitor.LogEvents(env.logger)), custodia.WithProgressInterval(logProgressInterval))
}

// logWriter turns the lines commands write on stderr into log records:
// "custodia: warning: ..." and other "custodia: ..." problem lines at
// WARN, "custodia: note: ..." and lines of their own at INFO. A write that
// ends without a newline is a prompt (a password asked on the terminal):
// it goes to the terminal as it is, and so does the rest of its line.
type logWriter struct {
	raw io.Writer
	log *slog.Logger

	mu     sync.Mutex
	buf    []byte
	prompt bool // a prompt's line is being written
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.prompt || len(w.buf) == 0 && !bytes.Contains(p, []byte("\n")) {
		w.prompt = !bytes.HasSuffix(p, []byte("\n"))
		return w.raw.Write(p)
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.logLine(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) logLine(line string) {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\r"))
	if line == "" {
		return
	}
	level := slog.LevelInfo
	if rest, ok := strings.CutPrefix(line, "custodia: "); ok {
		switch {
		case strings.HasPrefix(rest, "warning: "):
			level, line = slog.LevelWarn, strings.TrimPrefix(rest, "warning: ")
		case strings.HasPrefix(rest, "note: "):
			line = strings.TrimPrefix(rest, "note: ")
		default:
			level, line = slog.LevelWarn, rest
		}
	}
	w.log.Log(context.Background(), level, line)
}

// logExit logs the line run ends with and the exit status: at ERROR for
// a failure or bad usage, at WARN for damage found but readable (3).
func (env *cliEnv) logExit(code int, msg string) {
	level := slog.LevelError
	if code == exitDamage {
		level = slog.LevelWarn
	}
	env.logger.Log(context.Background(), level, msg, slog.Int("exit", code))
}
