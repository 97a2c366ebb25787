package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// scriptedRunner answers each job's attempts from a script of outcomes
// (the last one repeats) and reports every attempt.
type scriptedRunner struct {
	mu       sync.Mutex
	script   map[string][]string // job key -> outcomes
	running  map[string]int      // job key -> attempts under way
	overlaps int                 // attempts that found another of their key under way
	attempts chan Job
}

func newScriptedRunner(script map[string][]string) *scriptedRunner {
	return &scriptedRunner{script: script, running: map[string]int{}, attempts: make(chan Job, 100)}
}

func (r *scriptedRunner) RunJob(ctx context.Context, job Job) JobResult {
	r.mu.Lock()
	if r.running[job.Key] > 0 {
		r.overlaps++
	}
	r.running[job.Key]++
	outs := r.script[job.Key]
	out := outs[min(job.Attempt, len(outs)-1)]
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running[job.Key]--
		r.mu.Unlock()
		r.attempts <- job
	}()
	if out == JobDone {
		return JobResult{Outcome: JobDone, Status: 200, Response: "done"}
	}
	return JobResult{Outcome: out, Status: 503, Err: errors.New("unavailable")}
}

func (r *scriptedRunner) next(t *testing.T) Job {
	t.Helper()
	select {
	case j := <-r.attempts:
		return j
	case <-time.After(waitTimeout):
		t.Fatal("no job attempt")
		return Job{}
	}
}

// A job pool runs jobs through its runner: a retried job comes back with
// its attempt count and body, a dead one lands in the dead-letter stream
// (counted by Depth under the job's name), and two entries of one key
// never run at once.
func TestJobsRetryDeadLetterAndKeyOrder(t *testing.T) {
	q := testQueue(t)
	r := newScriptedRunner(map[string][]string{
		"a": {JobRetry, JobDone},
		"b": {JobRetry, JobRetry, JobDead},
		"c": {JobDone},
	})
	p := NewWorkerPool(q, nil, PoolConfig{Size: 4, Jobs: r})
	ctx := context.Background()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	for _, k := range []string{"a", "b", "c", "c"} {
		if _, err := q.EnqueueJob(ctx, "act_"+k, k, json.RawMessage(`{"id":"`+k+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string][]int{}
	for range 2 + 3 + 2 {
		j := r.next(t)
		var body struct{ ID string }
		if err := json.Unmarshal(j.Body, &body); err != nil || body.ID != j.Key || j.Name != "act_"+j.Key {
			t.Fatalf("job %+v: body %s does not match (%v)", j, j.Body, err)
		}
		seen[j.Key] = append(seen[j.Key], j.Attempt)
	}
	if len(seen["a"]) != 2 || seen["a"][1] != 1 || len(seen["b"]) != 3 || seen["b"][2] != 2 || len(seen["c"]) != 2 {
		t.Fatalf("attempts by key = %v", seen)
	}
	r.mu.Lock()
	overlaps := r.overlaps
	r.mu.Unlock()
	if overlaps != 0 {
		t.Fatalf("%d attempts overlapped another of their key", overlaps)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		pending, dead, err := q.Depth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 && dead["act_b"] == 1 && dead["act_a"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("depth = %d pending, dead %v; want 0 and act_b: 1", pending, dead)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
