package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// webhookClient POSTs payloads over persistent HTTP/1.1 connections, one
// request at a time per connection, entirely in the calling goroutine.
// net/http's Transport hands every request to a write loop and a read loop
// goroutine of its connection; at thousands of small POSTs a second those
// handoffs and their wakeups were a third of the delivery path's CPU. The
// response is parsed by net/http (http.ReadResponse); only the request line
// and headers are written here. URLs this client does not handle (a proxy
// from the environment, user:password@, another scheme) go to fallback.
type webhookClient struct {
	fallback *http.Client
	injected bool        // fallback was given by the caller: send everything through it
	maxIdle  int         // idle connections kept per host
	tls      *tls.Config // nil: the system roots

	mu      sync.Mutex
	targets map[string]*target
	idle    map[string][]*webhookConn // by target.addr, most recently used last
}

// target is a parsed webhook URL.
type target struct {
	direct     bool   // false: send through fallback
	key        string // scheme://addr: the idle connections' key
	https      bool   // TLS to addr
	addr       string // host:port dialled
	serverName string // TLS server name
	host       string // Host header
	path       string // request-target
}

type webhookConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
}

// reply is what an attempt keeps of a response.
type reply struct {
	status     int
	excerpt    []byte
	retryAfter string
}

// idleTimeout drops connections unused for longer; servers often close
// theirs sooner, which post survives by retrying once on a fresh one.
const idleTimeout = 90 * time.Second

// maxDrain bounds the response body read past the excerpt to keep a
// connection; a longer body closes it instead.
const maxDrain = 1 << 20

func newWebhookClient(maxIdle int, fallback *http.Client, injected bool) *webhookClient {
	return &webhookClient{fallback: fallback, injected: injected, maxIdle: maxIdle, targets: map[string]*target{},
		idle: map[string][]*webhookConn{}}
}

// post sends body to rawURL with the given extra headers (already
// resolved) and returns the response's status, body excerpt and
// Retry-After. It gives up after timeout (or when ctx ends): the deadline
// goes on the connection, with no timer or context of its own.
func (c *webhookClient) post(ctx context.Context, rawURL string, headers [][2]string, body []byte, timeout time.Duration) (reply, error) {
	t, err := c.target(rawURL)
	if err != nil {
		return reply{}, err
	}
	for _, h := range headers {
		if !validHeaderName(h[0]) || !validHeaderValue(h[1]) {
			return reply{}, fmt.Errorf("header %q: invalid name or value", h[0])
		}
	}
	if !t.direct {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return c.postFallback(ctx, rawURL, headers, body)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for try := 0; ; try++ {
		conn, reused := c.get(t)
		if conn == nil {
			if conn, err = c.dial(ctx, t, deadline); err != nil {
				return reply{}, err
			}
		}
		r, keep, sent, err := c.exchange(ctx, conn, t, headers, body, deadline)
		if err == nil && keep {
			c.put(t, conn)
		} else {
			conn.Close()
		}
		// A kept-alive connection the server closed while it was idle fails
		// before any response byte: the request was not processed, send it
		// again once on a new connection.
		if err != nil && reused && !sent && try == 0 && ctx.Err() == nil {
			continue
		}
		return r, err
	}
}

// exchange writes one request and reads its response. sent reports that a
// response started to arrive; keep that the connection can serve another.
func (c *webhookClient) exchange(ctx context.Context, conn *webhookConn, t *target, headers [][2]string, body []byte, deadline time.Time) (r reply, keep, sent bool, err error) {
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	writeRequest(conn.bw, t, headers, body)
	if err = conn.bw.Flush(); err != nil {
		return reply{}, false, false, ctxErr(ctx, err)
	}
	var resp *http.Response
	for {
		if _, err = conn.br.Peek(1); err != nil {
			return reply{}, false, false, ctxErr(ctx, err)
		}
		if resp, err = http.ReadResponse(conn.br, postRequest); err != nil {
			return reply{}, false, true, ctxErr(ctx, err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // 1xx: informational, the final response follows
	}
	// The status decides the attempt; a body cut short (or too long to
	// drain) only costs the connection.
	r = reply{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	r.excerpt, err = io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		keep = err == nil && n < maxDrain && !resp.Close
	}
	if !keep {
		conn.Close() // before Body.Close, which would drain what is left
	}
	resp.Body.Close()
	return r, keep, true, nil
}

// postRequest tells http.ReadResponse what the response answers.
var postRequest = &http.Request{Method: http.MethodPost}

func writeRequest(w *bufio.Writer, t *target, headers [][2]string, body []byte) {
	w.WriteString("POST ")
	w.WriteString(t.path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(t.host)
	w.WriteString("\r\n")
	ua, ct := false, false
	for _, h := range headers {
		switch {
		case strings.EqualFold(h[0], "Host"), strings.EqualFold(h[0], "Content-Length"),
			strings.EqualFold(h[0], "Transfer-Encoding"), strings.EqualFold(h[0], "Trailer"):
			continue // framing is this client's, as with net/http
		case strings.EqualFold(h[0], "User-Agent"):
			ua = true
		case strings.EqualFold(h[0], "Content-Type"):
			ct = true
		}
		w.WriteString(h[0])
		w.WriteString(": ")
		w.WriteString(strings.TrimSpace(h[1]))
		w.WriteString("\r\n")
	}
	if !ua {
		w.WriteString("User-Agent: " + UserAgent + "\r\n")
	}
	if !ct {
		w.WriteString("Content-Type: application/json\r\n")
	}
	w.WriteString("Content-Length: ")
	var num [20]byte
	w.Write(strconv.AppendInt(num[:0], int64(len(body)), 10))
	w.WriteString("\r\n\r\n")
	w.Write(body)
}

// ctxErr reports a cancelled or expired context rather than the I/O error
// its deadline caused.
func ctxErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	switch {
	case errors.Is(cerr, context.DeadlineExceeded), cerr == nil && errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("webhook timed out: %w", context.DeadlineExceeded)
	case cerr != nil:
		return cerr
	}
	return err
}
