package integration

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

// benchPost posts a JSON body and returns the answer and the round trip's
// time, the measure the p50 benchmarks compare side by side.
func benchPost(b testing.TB, client *http.Client, url string, body []byte, headers map[string]string) ([]byte, time.Duration) {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	return out, took
}

// p50 is the median of d, which it sorts.
func p50(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
