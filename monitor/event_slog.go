package monitor

import (
	"context"
	"log/slog"
)

// Level is the log level of the event: warnings at slog.LevelWarn, errors
// at slog.LevelError, the rest at slog.LevelInfo.
func (e Event) Level() slog.Level {
	switch e.Kind {
	case EventWarning:
		return slog.LevelWarn
	case EventError:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogMessage is the event's log message: its Message when set, else the
// operation and the kind ("backup start").
func (e Event) LogMessage() string {
	if e.Message != "" {
		return e.Message
	}
	return string(e.Op) + " " + string(e.Kind)
}

// Attrs returns the event's fields as log attributes (the counts that are
// not zero, the sites, the error's text as "err").
func (e Event) Attrs() []slog.Attr {
	a := []slog.Attr{
		slog.String("op", string(e.Op)),
		slog.String("kind", string(e.Kind)),
		slog.Uint64("run", e.Run),
		slog.Uint64("seq", e.Seq),
	}
	str := func(k, v string) {
		if v != "" {
			a = append(a, slog.String(k, v))
		}
	}
	str("snapshot", e.Snapshot)
	str("table", e.Table)
	str("item", e.Item)
	for _, c := range []struct {
		k string
		v uint64
	}{{"files", e.Files}, {"dirs", e.Dirs}, {"records", e.Records}, {"snapshots", e.Snapshots},
		{"packs", e.Packs}, {"bytes", e.Bytes}, {"bytes_added", e.BytesAdded}, {"errors", e.Errors}} {
		if c.v != 0 {
			a = append(a, slog.Uint64(c.k, c.v))
		}
	}
	a = append(a, slog.Duration("elapsed", e.Elapsed))
	if e.Err != nil {
		a = append(a, slog.String("err", e.Err.Error()))
	}
	if len(e.Sites) > 0 {
		// A JSON handler writes them as an array of objects (their json
		// tags).
		a = append(a, slog.Any("sites", e.Sites))
	}
	return a
}

// LogEvents returns an event handler that logs every event to l, at the
// event's Level, with its LogMessage and Attrs. With a
// slog.NewJSONHandler it writes one JSON object per event.
func LogEvents(l *slog.Logger) func(Event) {
	return func(e Event) {
		ctx := context.Background()
		if l.Enabled(ctx, e.Level()) {
			l.LogAttrs(ctx, e.Level(), e.LogMessage(), e.Attrs()...)
		}
	}
}
