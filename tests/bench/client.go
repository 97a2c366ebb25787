package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// graftClient posts GraphQL bodies over keep-alive connections. It is as
// lean as a Go client gets, because its cost is part of every HTTP
// latency the bench reports (Graft's and the bare HTTP floor's alike):
// requests go straight to the Transport (no http.Client redirect and
// timeout machinery, whose per-request timer the floor does not pay), the
// URL and headers are built once, and responses are read into reused
// buffers. A request has no timeout of its own: the run's context (Ctrl-C)
// ends it.
type graftClient struct {
	tr     *http.Transport
	url    *url.URL    // POST /v1/graphql
	header http.Header // Content-Type and the admin secret
}

func newGraftClient(rawURL string, conns int) (*graftClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Hasura-Admin-Secret", adminSecret)
	return &graftClient{tr: tr, url: u, header: h}, nil
}

// headerWith is the client's headers plus extra (a role and session
// variables, which Graft applies next to the admin secret), built once per
// prepared request: requests share their header maps and never modify them.
func (c *graftClient) headerWith(extra http.Header) http.Header {
	if len(extra) == 0 {
		return c.header
	}
	h := c.header.Clone()
	for k, vs := range extra {
		h[k] = vs
	}
	return h
}

// post sends one request to /v1/graphql with header (nil: the admin's)
// and checks that it answered data, not errors, without keeping the answer.
func (c *graftClient) post(ctx context.Context, body []byte, header http.Header) error {
	return c.exchange(ctx, c.url, body, header, nil)
}

// send is post returning a copy of the answer.
func (c *graftClient) send(ctx context.Context, u *url.URL, body []byte, header http.Header) ([]byte, error) {
	var out []byte
	err := c.exchange(ctx, u, body, header, func(b []byte) error {
		out = bytes.Clone(b)
		return nil
	})
	return out, err
}

// answers are reused response buffers.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// exchange POSTs body to u and reads the whole answer into a reused
// buffer, which it checks (HTTP 200, starting with {"data") and passes to
// use, when not nil, before reusing it.
func (c *graftClient) exchange(ctx context.Context, u *url.URL, body []byte, header http.Header, use func([]byte) error) error {
	if header == nil {
		header = c.header
	}
	req := (&http.Request{
		Method: http.MethodPost, URL: u, Host: u.Host, Header: header,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: &bodyReader{b: body}, ContentLength: int64(len(body)),
		// Lets the Transport resend on a keep-alive connection the server closed.
		GetBody: func() (io.ReadCloser, error) { return &bodyReader{b: body}, nil },
	}).WithContext(ctx)
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf := answers.Get().(*bytes.Buffer)
	defer answers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	b := buf.Bytes()
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte(`{"data"`)) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	if use != nil {
		return use(b)
	}
	return nil
}

// bodyReader is a request body over a prepared byte slice.
type bodyReader struct {
	b []byte
	i int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// admin posts a metadata API body.
func (c *graftClient) admin(ctx context.Context, rawURL string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = c.header.Clone()
	resp, err := (&http.Client{Transport: c.tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return nil
}
