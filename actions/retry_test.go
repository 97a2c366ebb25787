package actions

import (
	"testing"
	"time"
)

func TestRetryPolicyDoublesUpToTheCap(t *testing.T) {
	p := RetryPolicy{Retries: 3, Interval: 10 * time.Second}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 20: maxRetryDelay} {
		if got := p.delay(n); got != want {
			t.Errorf("delay after attempt %d = %v, want %v", n, got, want)
		}
	}
	if p.exhausted(3) || !p.exhausted(4) {
		t.Errorf("3 retries: attempt 3 exhausted = %v, attempt 4 = %v; want false, true", p.exhausted(3), p.exhausted(4))
	}
	if once := (RetryPolicy{}); !once.exhausted(1) || once.delay(1) != 0 {
		t.Errorf("no retries: attempt 1 must be the last, with no delay")
	}
}

// What is retried: no answer, a timeout, a 5xx; a 4xx, an oversized body
// and a bad answer are final.
func TestFailuresRetryable(t *testing.T) {
	res := func(status int, body string) *webhookResult {
		return &webhookResult{status: status, body: []byte(body), request: map[string]any{}}
	}
	s := &Source{}
	inv := &invocation{action: nil}
	for _, c := range []struct {
		res       *webhookResult
		retryable bool
	}{
		{res(503, `{}`), true},
		{res(500, `oops`), true},
		{res(400, `{"message":"bad"}`), false},
		{res(404, `not found`), false},
	} {
		_, f := s.respond(inv, nil, c.res)
		if f == nil || f.retryable != c.retryable || f.status != c.res.status {
			t.Errorf("status %d: failure %+v, want retryable %v", c.res.status, f, c.retryable)
		}
	}
}
