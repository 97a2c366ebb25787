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
	res := p.finish(&finishReq{args: []any{j.queue, j.token, log.EventID, outcome, delay.Milliseconds(), log.Trigger, lj},
		done: make(chan finishRes, 1)})
	if res.err != nil {
		// The lease expires and the event is tried again: at least once.
		p.cfg.Logger.Error("event trigger: record attempt", "event", log.EventID, "err", res.err)
		return
	}
	switch res.result {
	case "lost":
		p.cfg.Logger.Warn("event trigger: lease lost during delivery; another worker retries the event",
			"event", log.EventID, "trigger", log.Trigger)
	case "dead":
		p.cfg.Logger.Warn("event trigger: event dead-lettered", "event", log.EventID, "trigger", log.Trigger,
			"status", log.Status, "error", log.Error)
	}
	if res.more {
		p.poke()
	}
	if p.onRecord != nil {
		p.onRecord(log.EventID, res.result)
	}
}

// finishBatch bounds the attempts one finish script records (the script
// holds Redis for its whole run).
const finishBatch = 32

// finishReq is one attempt waiting to be recorded.
type finishReq struct {
	args []any // scriptFinish's 7 values of one attempt
	done chan finishRes
}

// finishRes is the recorded outcome of one attempt, or (lead) the news that
// the receiver is to record the pending attempts now.
type finishRes struct {
	result string // the outcome, or "lost"
	more   bool
	err    error
	lead   bool
}

// finish records an attempt together with the others waiting at the same
// time: one of the waiting workers (the leader) runs the script for up to
// finishBatch of them, then hands the lead to the first still waiting. A
// worker alone records at once, as without batching; under load one round
// trip and script call serve many attempts.
func (p *WorkerPool) finish(r *finishReq) finishRes {
	p.fmu.Lock()
	p.fpending = append(p.fpending, r)
	lead := !p.flushing
	p.flushing = true
	p.fmu.Unlock()
	for {
		if !lead {
			res := <-r.done
			if !res.lead {
				return res
			}
		}
		p.fmu.Lock()
		n := min(len(p.fpending), finishBatch)
		batch := make([]*finishReq, n)
		copy(batch, p.fpending)
		p.fpending = append(p.fpending[:0], p.fpending[n:]...)
		p.fmu.Unlock()
		p.runFinish(batch)
		p.fmu.Lock()
		if len(p.fpending) > 0 {
			p.fpending[0].done <- finishRes{lead: true}
		} else {
			p.flushing = false
		}
		p.fmu.Unlock()
		lead = false
	}
}

// runFinish runs scriptFinish for a batch and hands each attempt its result.
func (p *WorkerPool) runFinish(batch []*finishReq) {
	args := make([]any, 0, 4+7*len(batch))
	args = append(args, p.q.cfg.Prefix, p.q.cfg.Retention.Milliseconds(), p.q.cfg.MaxEntries, len(batch))
	for _, r := range batch {
		args = append(args, r.args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	v, err := scriptFinish.Run(ctx, p.q.rdb, nil, args...).Slice()
	if err == nil && len(v) != len(batch) {
		err = fmt.Errorf("finish script returned %d results for %d attempts", len(v), len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.done <- finishRes{err: err}
			continue
		}
		pair, _ := v[i].([]any)
		var res finishRes
		if len(pair) == 2 {
			res.result, _ = pair[0].(string)
			more, _ := pair[1].(int64)
			res.more = more == 1
		}
		r.done <- res
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
