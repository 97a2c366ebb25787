package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Jobs: a Queue may carry jobs instead of event-trigger events, run by a
// JobRunner in place of a webhook POST (async action calls are jobs). A
// job queue gets everything else of the event queue unchanged: lanes
// shared fairly between processes and taken over from a crashed one, the
// retry state and its timers, the dead-letter stream, the invocation logs,
// Depth and the Observer. What to do with an attempt's result (done, retry
// after a delay, dead letter) is the runner's decision: the job knows its
// own retry policy. A queue holds events or jobs, never both: give a job
// queue its own Config.Prefix.

// Job outcomes a JobRunner returns.
const (
	JobDone  = "ok"    // finished, successfully or with a final error: out of the queue
	JobRetry = "retry" // attempt again after JobResult.Delay
	JobDead  = "dead"  // give up: into the dead-letter stream
)

// Job is one queued job as its runner sees it.
type Job struct {
	ID      string          // the queue entry's id (a duplicate entry of the same work has another)
	Name    string          // what the job belongs to (an action's name): its logs and dead letters are kept under it
	Key     string          // the work's identity: entries with the same key run one at a time, in order
	Body    json.RawMessage // what EnqueueJob was given
	Attempt int             // attempts of this entry before this one
	Created time.Time
}

// JobResult is the outcome of one attempt of a job.
type JobResult struct {
	// Outcome is JobDone, JobRetry or JobDead; "" means the attempt was
	// cancelled (the pool stopping) and left nothing done: the job stays
	// pending for the next holder of its lane, and no attempt is counted.
	Outcome string
	Delay   time.Duration // before the retry
	// For the invocation log and the Observer: the URL called ("" when
	// none was), its HTTP status (0: no response), the response excerpt
	// and the error.
	URL      string
	Status   int
	Response string
	Err      error
}

// JobRunner runs the jobs of a job queue's pool (PoolConfig.Jobs). RunJob
// must end soon after ctx does and must be safe for concurrent use; the
// same Key is never run by two attempts of one pool at once.
type JobRunner interface {
	RunJob(ctx context.Context, job Job) JobResult
}

// jobOp is the op of a job's lane entry.
const jobOp = "JOB"

// EnqueueJob queues a job of name, identified by key, carrying body, and
// returns the queue entry's id. Queuing the same key twice is allowed (a
// reconciler unsure whether it was queued): the entries run one after the
// other, so the runner can find the second one has nothing left to do.
func (q *Queue) EnqueueJob(ctx context.Context, name, key string, body json.RawMessage) (string, error) {
	if name == "" || key == "" {
		return "", errors.New("delivery: a job needs a name and a key")
	}
	id := randomID()
	row := "job:" + key
	n, err := scriptEnqueue.Run(ctx, q.rdb, nil, q.cfg.Prefix, q.key("wm", q.cfg.Scope), 0, 1,
		"", q.laneOf(row), id, row, name, "", "", jobOp, string(body), timeNow().UnixMicro(), "").Int()
	if err != nil {
		return "", fmt.Errorf("delivery: enqueue job %s of %s: %w", key, name, err)
	}
	if n != 1 {
		return "", fmt.Errorf("delivery: enqueue job %s of %s: not queued", key, name)
	}
	return id, nil
}

// runJob is deliver for a job queue's pool.
func (p *WorkerPool) runJob(ctx context.Context, ev *Event, tries int) (string, time.Duration, *InvocationLog) {
	key, ok := strings.CutPrefix(ev.row, "job:")
	if !ok || ev.Op != jobOp {
		return "dead", 0, &InvocationLog{EventID: ev.ID, Trigger: ev.Trigger, Attempt: tries,
			Error: "not a job: an event trigger's event in a job queue"}
	}
	start := time.Now()
	job := Job{ID: ev.ID, Name: ev.Trigger, Key: key, Body: ev.body, Attempt: tries, Created: ev.CreatedAt}
	r := p.cfg.Jobs.RunJob(ctx, job)
	log := &InvocationLog{EventID: ev.ID, Trigger: ev.Trigger, Attempt: tries, Status: r.Status, Request: ev.body,
		Response: r.Response, Duration: time.Since(start), url: r.URL}
	if r.Err != nil {
		log.Error = r.Err.Error()
	}
	switch r.Outcome {
	case JobDone, JobDead:
		return r.Outcome, 0, log
	case JobRetry:
		return JobRetry, max(r.Delay, 0), log
	}
	return "", 0, nil
}
