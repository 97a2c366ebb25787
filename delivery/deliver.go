package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// UserAgent is sent with every webhook request.
const UserAgent = "hasura-graphql-engine/graft"

// maxExcerpt bounds the response body kept in an invocation log.
const maxExcerpt = 1024

// timeNow is the clock of manual events and invocation logs.
var timeNow = time.Now

// InvocationLog is one delivery attempt.
type InvocationLog struct {
	ID        string          `json:"id"`
	EventID   string          `json:"event_id"`
	Trigger   string          `json:"trigger_name"`
	Attempt   int             `json:"attempt"` // delivery_info.current_retry
	Status    int             `json:"status"`  // HTTP status; 0 when there was no response
	Request   json.RawMessage `json:"request"` // the payload POSTed
	Response  string          `json:"response"`
	Error     string          `json:"error,omitempty"` // transport error, timeout, bad configuration
	Duration  time.Duration   `json:"duration"`
	CreatedAt time.Time       `json:"created_at"`
}

// attempt is the result of one POST.
type attempt struct {
	status     int
	body       string
	err        error
	retryAfter time.Duration
}

// deliver makes one attempt at the claimed queue's head and records it.
func (p *WorkerPool) deliver(ctx context.Context, j *job) {
	ev, err := parseEvent(j.fields)
	var t *Trigger
	if err == nil {
		t, err = p.trigger(ev)
	}
	var body []byte
	if err == nil {
		body, err = render(ev, t.Retry.NumRetries)
	}
	if err != nil {
		// Not deliverable whatever happens: dead-letter it at once.
		p.record(j, "dead", 0, &InvocationLog{EventID: j.fields["id"], Trigger: j.fields["trigger"], Error: err.Error()})
		return
	}
	start := time.Now()
	a := p.post(ctx, t, body)
	log := &InvocationLog{
		EventID: ev.ID, Trigger: ev.Trigger, Attempt: ev.Tries, Status: a.status, Request: body,
		Response: a.body, Duration: time.Since(start),
	}
	if p.crashed.Load() {
		return
	}
	if a.err != nil {
		if ctx.Err() != nil { // stopping, or the lease was lost
			if !j.lost.Load() {
				p.release(j)
			}
			return
		}
		log.Error = a.err.Error()
	}
	switch {
	case a.err == nil && a.status >= 200 && a.status < 300:
		p.record(j, "ok", 0, log)
	case ev.Tries >= t.Retry.NumRetries:
		p.record(j, "dead", 0, log)
	default:
		delay := a.retryAfter
		if delay <= 0 {
			delay = time.Duration(t.Retry.IntervalSec) * time.Second
		}
		p.record(j, "retry", delay, log)
	}
}

// trigger is the event's trigger as currently defined, or as it was at
// enqueue time when the source no longer has it.
func (p *WorkerPool) trigger(e *Event) (*Trigger, error) {
	for _, t := range p.src.TriggersFor(e.Table) {
		if t.Name == e.Trigger {
			return &t, nil
		}
	}
	return e.snapshot()
}

// record writes the attempt's outcome and invocation log.
func (p *WorkerPool) record(j *job, outcome string, delay time.Duration, log *InvocationLog) {
	log.ID, log.CreatedAt = randomID(), timeNow().UTC()
	lj, err := json.Marshal(log)
	if err != nil {
		p.cfg.Logger.Error("event trigger: encode invocation log", "event", log.EventID, "err", err)
		lj = []byte("{}")
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	res, err := scriptFinish.Run(ctx, p.q.rdb, nil, p.q.cfg.Prefix, j.queue, j.token, log.EventID, outcome,
		delay.Milliseconds(), p.q.cfg.Retention.Milliseconds(), p.q.cfg.MaxEntries, log.Trigger, lj).Slice()
	if err != nil || len(res) != 2 {
		// The lease expires and the event is tried again: at least once.
		p.cfg.Logger.Error("event trigger: record attempt", "event", log.EventID, "err", err)
		return
	}
	switch r, _ := res[0].(string); r {
	case "lost":
		p.cfg.Logger.Warn("event trigger: lease lost during delivery; another worker retries the event",
			"event", log.EventID, "trigger", log.Trigger)
	case "dead":
		p.cfg.Logger.Warn("event trigger: event dead-lettered", "event", log.EventID, "trigger", log.Trigger,
			"status", log.Status, "error", log.Error)
	}
	if more, _ := res[1].(int64); more == 1 {
		p.poke()
	}
	if p.onRecord != nil {
		r, _ := res[0].(string)
		p.onRecord(log.EventID, r)
	}
}

// post sends the payload to the trigger's webhook.
func (p *WorkerPool) post(ctx context.Context, t *Trigger, body []byte) attempt {
	url, err := p.webhookURL(t)
	if err != nil {
		return attempt{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Retry.TimeoutSec)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return attempt{err: fmt.Errorf("webhook %q: %w", url, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	for _, h := range t.Headers {
		v := h.Value
		if h.ValueFromEnv != "" {
			var ok bool
			if v, ok = p.lookupEnv(h.ValueFromEnv); !ok {
				return attempt{err: fmt.Errorf("header %s: environment variable %s is not set", h.Name, h.ValueFromEnv)}
			}
		}
		req.Header.Set(h.Name, v)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return attempt{err: err}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	a := attempt{status: resp.StatusCode, body: strings.ToValidUTF8(string(excerpt), "\uFFFD")}
	if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && n > 0 {
		a.retryAfter = time.Duration(n) * time.Second
	}
	return a
}

var envTemplate = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// webhookURL resolves webhook_from_env and {{VAR}} templates.
func (p *WorkerPool) webhookURL(t *Trigger) (string, error) {
	if t.WebhookFromEnv != "" {
		v, ok := p.lookupEnv(t.WebhookFromEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("webhook_from_env: environment variable %s is not set", t.WebhookFromEnv)
		}
		return v, nil
	}
	var missing string
	url := envTemplate.ReplaceAllStringFunc(t.Webhook, func(m string) string {
		name := envTemplate.FindStringSubmatch(m)[1]
		v, ok := p.lookupEnv(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("webhook: environment variable %s is not set", missing)
	}
	return url, nil
}

func (p *WorkerPool) lookupEnv(name string) (string, bool) { return p.cfg.LookupEnv(name) }
