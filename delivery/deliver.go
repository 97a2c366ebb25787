package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/graftql/graft/tracing"
	"go.opentelemetry.io/otel/trace"
)

// UserAgent is sent with every webhook request.
const UserAgent = "hasura-graphql-engine/graft"

// maxExcerpt bounds the response body kept in an invocation log.
const maxExcerpt = 1024

// timeNow is the clock of manual events and invocation logs.
var timeNow = time.Now

// InvocationLog is one delivery attempt. Its json tags are how it is kept
// in Redis (appendLog writes that form, decodeLogs reads it); MarshalJSON
// renders it for the metadata API.
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

	headers []Header // see SetRequestHeaders
	url     string   // the webhook requested, for the webhook-log line
}

// attempt is the result of one POST.
type attempt struct {
	url        string // resolved, "" when it could not be
	status     int
	body       string
	err        error
	retryAfter time.Duration
}

// attempt delivers a due event once and records the outcome; the next
// event of its row starts only once this one is recorded.
func (p *WorkerPool) attempt(e *entry) {
	p.mu.Lock()
	if e.dropped || p.state != 1 {
		p.mu.Unlock()
		p.abandon(e)
		return
	}
	ctx, cancel := context.WithCancel(p.jobCtx)
	e.cancel = cancel
	ev, tries := e.ev, e.ev.Tries
	p.mu.Unlock()
	defer cancel()
	picked := time.Now()
	p.posting.Add(1)
	outcome, delay, log := p.deliver(ctx, ev, tries)
	p.posting.Add(-1)
	if outcome == "" || p.crashed.Load() {
		p.abandon(e) // cancelled: stopping or the lane was lost; the event stays pending in its lane
		return
	}
	p.observe(ev, outcome, log, picked)
	logID, err := p.fin.record(p.jobCtx, finishItem{ev: ev, outcome: outcome, tries: tries + 1, delay: delay, log: log})
	if err != nil {
		p.abandon(e) // stopping without Redis: the next holder of the lane attempts it again
		return
	}
	switch {
	case outcome == "dead" && p.cfg.Jobs == nil: // a job's runner says why itself
		p.cfg.Logger.Warn("event trigger: event dead-lettered", "event", ev.ID, "trigger", ev.Trigger,
			"status", log.Status, "error", log.Error)
	}
	p.finished(e, outcome, delay, logID)
	if p.onRecord != nil {
		p.onRecord(ev.ID, outcome)
	}
}

// deliver POSTs the event and decides what follows: "ok", "retry" (after
// delay) or "dead"; "" when cancelled.
func (p *WorkerPool) deliver(ctx context.Context, ev *Event, tries int) (string, time.Duration, *InvocationLog) {
	if p.cfg.Jobs != nil {
		return p.runJob(ctx, ev, tries)
	}
	t, err := p.trigger(ctx, ev)
	var body []byte
	if err == nil {
		ev := *ev
		ev.Tries = tries
		body, err = render(&ev, t.Retry.NumRetries)
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, nil
		}
		// Not deliverable whatever happens: dead-letter it at once.
		return "dead", 0, &InvocationLog{EventID: ev.ID, Trigger: ev.Trigger, Attempt: tries, Error: err.Error()}
	}
	start := time.Now()
	// The call joins the trace of the mutation that caused the event.
	tctx, span := tracing.StartKind(tracing.EventContext(ctx, ev.body), "event trigger webhook", trace.SpanKindClient)
	a := p.post(tctx, t, body)
	tracing.End(span, a.err)
	log := &InvocationLog{
		EventID: ev.ID, Trigger: ev.Trigger, Attempt: tries, Status: a.status, Request: body,
		Response: a.body, Duration: time.Since(start), url: a.url,
	}
	if a.err != nil {
		if ctx.Err() != nil {
			return "", 0, nil
		}
		log.Error = a.err.Error()
	}
	switch {
	case a.err == nil && a.status >= 200 && a.status < 300:
		return "ok", 0, log
	case tries >= t.Retry.NumRetries:
		return "dead", 0, log
	}
	delay := a.retryAfter
	if delay <= 0 {
		delay = time.Duration(t.Retry.IntervalSec) * time.Second
	}
	return "retry", delay, log
}

// trigger is the event's trigger as currently defined, or as it was at
// enqueue time when the source no longer has it.
func (p *WorkerPool) trigger(ctx context.Context, e *Event) (*Trigger, error) {
	for _, t := range p.src.TriggersFor(e.Table) {
		if t.Name == e.Trigger {
			return &t, nil
		}
	}
	p.defsMu.Lock()
	t := p.defs[e.def]
	p.defsMu.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := p.q.definition(ctx, e)
	if err != nil {
		return nil, err
	}
	p.defsMu.Lock()
	p.defs[e.def] = t
	p.defsMu.Unlock()
	return t, nil
}

// post sends the payload to the trigger's webhook.
func (p *WorkerPool) post(ctx context.Context, t *Trigger, body []byte) attempt {
	url, err := p.webhookURL(t)
	if err != nil {
		return attempt{err: err}
	}
	var headers [][2]string
	if len(t.Headers) > 0 {
		headers = make([][2]string, 0, len(t.Headers))
	}
	for _, h := range t.Headers {
		v := h.Value
		if h.ValueFromEnv != "" {
			var ok bool
			if v, ok = p.lookupEnv(h.ValueFromEnv); !ok {
				return attempt{err: fmt.Errorf("header %s: environment variable %s is not set", h.Name, h.ValueFromEnv)}
			}
		}
		headers = append(headers, [2]string{h.Name, v})
	}
	headers = tracing.AppendHeaders(ctx, headers)
	r, err := p.http.post(ctx, url, headers, body, time.Duration(t.Retry.TimeoutSec)*time.Second)
	if err != nil {
		return attempt{url: url, err: err}
	}
	a := attempt{url: url, status: r.status, body: strings.ToValidUTF8(string(r.excerpt), "\uFFFD")}
	if n, err := strconv.Atoi(strings.TrimSpace(r.retryAfter)); err == nil && n > 0 {
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
