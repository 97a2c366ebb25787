package delivery

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxTargets bounds the parsed-URL cache; {{VAR}} templates could make the
// set of URLs open-ended.
const maxTargets = 1024

// target parses rawURL once and remembers it.
func (c *webhookClient) target(rawURL string) (*target, error) {
	c.mu.Lock()
	t := c.targets[rawURL]
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("webhook %q: %w", rawURL, err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("webhook %q: not an absolute http or https URL", rawURL)
	}
	t = &target{https: u.Scheme == "https", host: u.Host, path: u.RequestURI(), serverName: u.Hostname()}
	port := u.Port()
	if port == "" {
		port = "80"
		if t.https {
			port = "443"
		}
	}
	t.addr = net.JoinHostPort(u.Hostname(), port)
	t.key = u.Scheme + "://" + t.addr
	// A proxy from the environment or credentials in the URL: net/http
	// knows what to do with them.
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u})
	t.direct = !c.injected && err == nil && proxy == nil && u.User == nil
	c.mu.Lock()
	if len(c.targets) >= maxTargets {
		clear(c.targets)
	}
	c.targets[rawURL] = t
	c.mu.Unlock()
	return t, nil
}

// get takes the most recently used idle connection to t, if any.
func (c *webhookClient) get(t *target) (*webhookConn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conns := c.idle[t.key]
	for len(conns) > 0 {
		conn := conns[len(conns)-1]
		conns = conns[:len(conns)-1]
		c.idle[t.key] = conns
		if time.Since(conn.lastUsed) < idleTimeout {
			return conn, true
		}
		conn.Close()
	}
	return nil, false
}

// put keeps a connection for the next request to t.
func (c *webhookClient) put(t *target, conn *webhookConn) {
	key := t.key
	conn.lastUsed = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle[key]) >= c.maxIdle {
		conn.Close()
		return
	}
	c.idle[key] = append(c.idle[key], conn)
}

// closeStale closes the connections idle for longer than idleTimeout: those
// of webhooks no longer called would otherwise stay open (and, once their
// server gives up on them, half-closed) until the pool stops.
func (c *webhookClient) closeStale() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, conns := range c.idle {
		kept := conns[:0]
		for _, conn := range conns {
			if time.Since(conn.lastUsed) < idleTimeout {
				kept = append(kept, conn)
			} else {
				conn.Close()
			}
		}
		if len(kept) == 0 {
			delete(c.idle, k)
		} else {
			c.idle[k] = kept
		}
	}
}

// closeIdle closes every idle connection (the pool stopping).
func (c *webhookClient) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, conns := range c.idle {
		for _, conn := range conns {
			conn.Close()
		}
		delete(c.idle, k)
	}
}

func (c *webhookClient) dial(ctx context.Context, t *target, deadline time.Time) (*webhookConn, error) {
	d := net.Dialer{Deadline: deadline}
	raw, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	conn := raw
	if t.https {
		cfg := &tls.Config{ServerName: t.serverName, NextProtos: []string{"http/1.1"}}
		if c.tls != nil {
			cfg = c.tls.Clone()
			cfg.ServerName, cfg.NextProtos = t.serverName, []string{"http/1.1"}
		}
		tc := tls.Client(raw, cfg)
		raw.SetDeadline(deadline)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, ctxErr(ctx, err)
		}
		conn = tc
	}
	return &webhookConn{Conn: conn, br: bufio.NewReaderSize(conn, 4096), bw: bufio.NewWriterSize(conn, 4096)}, nil
}

// postFallback sends the request with net/http.
func (c *webhookClient) postFallback(ctx context.Context, rawURL string, headers [][2]string, body []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return reply{}, fmt.Errorf("webhook %q: %w", rawURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	h := c.fallback
	if h == nil {
		h = http.DefaultClient
	}
	resp, err := h.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain)) // reuse the connection
	return reply{status: resp.StatusCode, excerpt: excerpt, retryAfter: resp.Header.Get("Retry-After")}, nil
}

// validHeaderName: an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(b)) {
			return false
		}
	}
	return true
}

// validHeaderValue: no control characters but tab, so that a value cannot
// end the header or smuggle another.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}
