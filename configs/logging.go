package configs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// NewLogger returns a logger writing Hasura's structured log lines:
// {"timestamp", "level", "type", "detail"}. A record's "type" attribute picks
// the log type (default "startup"); types not enabled are dropped.
func NewLogger(w io.Writer, level slog.Level, enabled map[string]bool) *slog.Logger {
	return slog.New(&hasuraHandler{w: w, level: level, enabled: enabled, mu: &sync.Mutex{}})
}

type hasuraHandler struct {
	w       io.Writer
	level   slog.Level
	enabled map[string]bool
	attrs   []slog.Attr
	mu      *sync.Mutex
}

func (h *hasuraHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *hasuraHandler) Handle(_ context.Context, r slog.Record) error {
	typ := "startup"
	detail := map[string]any{}
	if r.Message != "" {
		detail["message"] = r.Message
	}
	add := func(a slog.Attr) bool {
		if a.Key == "type" {
			typ = a.Value.String()
		} else {
			detail[a.Key] = a.Value.Any()
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	// Warnings and errors are always shown: an operator must see them.
	if !h.enabled[typ] && r.Level < slog.LevelWarn {
		return nil
	}
	for k, v := range detail {
		if err, ok := v.(error); ok {
			detail[k] = err.Error()
		}
	}
	line, err := json.Marshal(map[string]any{
		"timestamp": r.Time.UTC().Format(time.RFC3339Nano), "level": levelName(r.Level), "type": typ, "detail": detail,
	})
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err = h.w.Write(append(line, '\n'))
	return err
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

func (h *hasuraHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *hasuraHandler) WithGroup(string) slog.Handler { return h }

// LogTypeEnabled tells whether l writes lines of type typ at info level:
// callers skip building the lines of a disabled type (and its error
// lines too, as Hasura drops every line of a disabled type). A logger that
// is not Graft's writes every type.
func LogTypeEnabled(l *slog.Logger, typ string) bool {
	h, ok := l.Handler().(*hasuraHandler)
	return !ok || h.enabled[typ] && h.level <= slog.LevelInfo
}

// LineWriter returns a function writing one log line of type typ whose
// detail is already JSON, or nil when that type is disabled (or the logger
// is not Graft's). The per-request http-log uses it: building a map and
// marshalling it through slog cost more than the request's own work.
func LineWriter(l *slog.Logger, typ string) func(detail []byte) {
	h, ok := l.Handler().(*hasuraHandler)
	if !ok || !h.enabled[typ] || h.level > slog.LevelInfo {
		return nil
	}
	prefix := `","level":"info","type":` + strconv.Quote(typ) + `,"detail":`
	var line []byte // reused under h.mu: io.Writer must not keep it
	return func(detail []byte) {
		now := time.Now().UTC()
		h.mu.Lock()
		defer h.mu.Unlock()
		line = append(line[:0], `{"timestamp":"`...)
		line = now.AppendFormat(line, time.RFC3339Nano)
		line = append(line, prefix...)
		line = append(line, detail...)
		line = append(line, "}\n"...)
		h.w.Write(line)
		if cap(line) > 64<<10 {
			line = nil // do not keep one huge line's buffer
		}
	}
}
