package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Observer hears of each delivery attempt, for metrics. outcome is ok,
// retry or dead; posted is false when no request was made (the event could
// not be rendered, or its webhook or a header not resolved); queued is the
// wait from the event being due (created, or its retry time) to a worker
// picking it up; took is the webhook request's time.
type Observer interface {
	EventAttempt(trigger, outcome string, posted bool, queued, took time.Duration)
}

// observe reports an attempt to the Observer and writes its webhook-log
// line: info for a 2xx answer, error otherwise, as Hasura levels
// webhook-log. The URL is logged without credentials or query string,
// which may hold secrets from the environment.
func (p *WorkerPool) observe(ev *Event, outcome string, log *InvocationLog, picked time.Time) {
	posted := log.url != ""
	if o := p.cfg.Observer; o != nil {
		due := ev.CreatedAt
		if !ev.NextRetryAt.IsZero() {
			due = ev.NextRetryAt
		}
		o.EventAttempt(ev.Trigger, outcome, posted, max(picked.Sub(due), 0), log.Duration)
	}
	l := p.cfg.WebhookLog
	if l == nil || !posted {
		return
	}
	level := slog.LevelInfo
	var status, httpErr, response any // null, as Hasura, when absent
	if log.Status != 0 {
		status = log.Status
	}
	if log.Error != "" {
		httpErr = log.Error
	}
	if outcome != "ok" {
		level, response = slog.LevelError, log.Response
	}
	l.Log(context.Background(), level, "event trigger webhook", "type", "webhook-log",
		"url", RedactURL(log.url), "method", "POST", "status_code", status, "http_error", httpErr,
		"response", response, "trigger_name", ev.Trigger, "event_id", ev.ID, "current_retry", log.Attempt,
		"outcome", outcome, "duration", log.Duration.Seconds())
}

// RedactURL drops a URL's user info and query string for logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}

// BusyWorkers is the number of webhook requests under way in this pool.
func (p *WorkerPool) BusyWorkers() int { return int(p.posting.Load()) }

// Depth counts the queue in Redis: the events waiting for delivery or a
// retry (all triggers, all processes) and the dead-lettered events kept
// per trigger. A few commands in one round trip, whatever the queue's size.
func (q *Queue) Depth(ctx context.Context) (pending int64, dead map[string]int64, err error) {
	trigs, err := q.rdb.SMembers(ctx, q.key("trigs")).Result()
	if err != nil {
		return 0, nil, fmt.Errorf("delivery: queue depth: %w", err)
	}
	lanes := make([]*redis.IntCmd, q.cfg.Lanes)
	deads := make([]*redis.IntCmd, len(trigs))
	_, err = q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i := range lanes {
			lanes[i] = pl.XLen(ctx, q.laneKey(i))
		}
		for i, t := range trigs {
			deads[i] = pl.XLen(ctx, q.key("dead", t))
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("delivery: queue depth: %w", err)
	}
	for _, c := range lanes {
		pending += c.Val()
	}
	dead = make(map[string]int64, len(trigs))
	for i, t := range trigs {
		dead[t] = deads[i].Val()
	}
	return pending, dead, nil
}
