package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawServer answers each request with the bytes respond returns; close
// ends the connection after them. It counts connections and requests.
type rawServer struct {
	ln      net.Listener
	url     string
	mu      sync.Mutex
	conns   int
	reqs    []*http.Request
	bodies  []string
	respond func(n int, r *http.Request) (raw string, close bool)
}

func newRawServer(t *testing.T, respond func(n int, r *http.Request) (string, bool)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, url: "http://" + ln.Addr().String() + "/hook?x=1", respond: respond}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s
}

func (s *rawServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.bodies = append(s.bodies, string(body))
		n := len(s.reqs)
		s.mu.Unlock()
		raw, closeIt := s.respond(n, r)
		if _, err := io.WriteString(c, raw); err != nil || closeIt {
			return
		}
	}
}

func (s *rawServer) counts() (conns, reqs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, len(s.reqs)
}

func postOK(t *testing.T, c *webhookClient, url string, headers [][2]string, body string) reply {
	t.Helper()
	r, err := c.post(context.Background(), url, headers, []byte(body), waitTimeout)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return r
}

// A server that closes a kept-alive connection after answering: the next
// request goes out again on a new connection, once, with no error and no
// duplicate.
func TestWebhookClientStaleConnection(t *testing.T) {
	s := newRawServer(t, func(int, *http.Request) (string, bool) {
		return "HTTP/1.1 204 No Content\r\n\r\n", true // closes without saying so
	})
	c := newWebhookClient(4, nil, false)
	for i := range 3 {
		if r := postOK(t, c, s.url, nil, `{"n":1}`); r.status != 204 {
			t.Fatalf("post %d: status %d", i, r.status)
		}
	}
	conns, reqs := s.counts()
	if reqs != 3 || conns != 3 {
		t.Fatalf("server saw %d requests on %d connections, want 3 on 3", reqs, conns)
	}
}

// Keep-alive: a chunked body longer than the excerpt is read to its end and
// the connection serves the next request; the request carries the framing,
// the default headers, the trigger's headers (overriding User-Agent) and
// the body; a trigger's Host or Content-Length header is ignored.
func TestWebhookClientKeepAliveAndHeaders(t *testing.T) {
	long := strings.Repeat("x", 5000)
	s := newRawServer(t, func(n int, r *http.Request) (string, bool) {
		return "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n" +
			"1388\r\n" + long + "\r\n0\r\n\r\n", false
	})
	c := newWebhookClient(4, nil, false)
	hdrs := [][2]string{{"X-Token", " secret "}, {"User-Agent", "custom"}, {"Host", "evil"}, {"Content-Length", "1"}}
	var r reply
	for range 2 {
		r = postOK(t, c, s.url, hdrs, `{"a":"b"}`)
	}
	if r.status != 500 || r.retryAfter != "7" || string(r.excerpt) != long[:maxExcerpt] {
		t.Fatalf("reply: status %d retryAfter %q excerpt %d bytes", r.status, r.retryAfter, len(r.excerpt))
	}
	conns, reqs := s.counts()
	if conns != 1 || reqs != 2 {
		t.Fatalf("server saw %d requests on %d connections, want 2 on 1", reqs, conns)
	}
	req, body := s.reqs[1], s.bodies[1]
	u := strings.TrimPrefix(s.url, "http://")
	if req.Method != "POST" || req.RequestURI != "/hook?x=1" || req.Host != u[:strings.Index(u, "/")] {
		t.Fatalf("request line/host: %s %s host %s", req.Method, req.RequestURI, req.Host)
	}
	want := map[string]string{"X-Token": "secret", "User-Agent": "custom", "Content-Type": "application/json",
		"Content-Length": "9"}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if len(req.Header.Values("User-Agent")) != 1 || body != `{"a":"b"}` {
		t.Fatalf("user agents %v, body %q", req.Header.Values("User-Agent"), body)
	}
}

// "Connection: close" and an informational 103 before the final response.
func TestWebhookClientCloseAndInformational(t *testing.T) {
	s := newRawServer(t, func(int, *http.Request) (string, bool) {
		return "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true
	})
	c := newWebhookClient(4, nil, false)
	for range 2 {
		if r := postOK(t, c, s.url, nil, `{}`); r.status != 200 || string(r.excerpt) != "ok" {
			t.Fatalf("reply %d %q", r.status, r.excerpt)
		}
	}
	if conns, reqs := s.counts(); conns != 2 || reqs != 2 {
		t.Fatalf("server saw %d requests on %d connections, want 2 on 2", reqs, conns)
	}
}

// A header that would end the header block is refused before anything is
// sent; a timeout ends a request that gets no answer.
func TestWebhookClientRejectsAndTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := newRawServer(t, func(int, *http.Request) (string, bool) {
		<-release
		return "", true
	})
	c := newWebhookClient(4, nil, false)
	for _, h := range [][2]string{{"X-A", "v\r\nX-Injected: 1"}, {"Bad Name", "v"}, {"", "v"}} {
		if _, err := c.post(context.Background(), s.url, [][2]string{h}, []byte(`{}`), waitTimeout); err == nil {
			t.Fatalf("header %q accepted", h)
		}
	}
	if _, reqs := s.counts(); reqs != 0 {
		t.Fatalf("%d requests reached the server", reqs)
	}
	_, err := c.post(context.Background(), s.url, nil, []byte(`{}`), 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	// The caller's context ends a request too (a pool stopping).
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.post(ctx, s.url, nil, []byte(`{}`), waitTimeout); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := c.post(context.Background(), "ftp://x/y", nil, nil, waitTimeout); err == nil {
		t.Fatal("ftp URL accepted")
	}
}

// https: the TLS connection is kept alive too.
func TestWebhookClientTLS(t *testing.T) {
	var mu sync.Mutex
	remotes := map[string]bool{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = true
		mu.Unlock()
		w.WriteHeader(201)
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c := newWebhookClient(4, nil, false)
	c.tls = &tls.Config{RootCAs: roots}
	for range 3 {
		if r := postOK(t, c, srv.URL+"/h", nil, `{}`); r.status != 201 {
			t.Fatalf("status %d", r.status)
		}
	}
	if len(remotes) != 1 {
		t.Fatalf("%d connections, want 1", len(remotes))
	}
}

// Connections idle past idleTimeout are closed by the sweep; recent ones
// stay.
func TestWebhookClientCloseStale(t *testing.T) {
	s := newRawServer(t, func(int, *http.Request) (string, bool) { return "HTTP/1.1 204 No Content\r\n\r\n", false })
	c := newWebhookClient(4, nil, false)
	postOK(t, c, s.url, nil, `{}`)
	postOK(t, c, s.url+"&other=1", nil, `{}`) // same host: the same idle list
	c.mu.Lock()
	var key string
	for k, conns := range c.idle {
		key = k
		if len(conns) != 1 {
			t.Fatalf("%d idle connections, want 1 (reused)", len(conns))
		}
	}
	c.idle[key][0].lastUsed = time.Now().Add(-idleTimeout - time.Second)
	c.mu.Unlock()
	c.closeStale()
	c.mu.Lock()
	n := len(c.idle)
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d hosts with idle connections after the sweep, want 0", n)
	}
	postOK(t, c, s.url, nil, `{}`) // a new connection
	if conns, reqs := s.counts(); conns != 2 || reqs != 3 {
		t.Fatalf("server saw %d requests on %d connections, want 3 on 2", reqs, conns)
	}
}

// A response whose body is cut short still counts by its status; the
// connection is not reused.
func TestWebhookClientTruncatedBody(t *testing.T) {
	s := newRawServer(t, func(int, *http.Request) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", true
	})
	c := newWebhookClient(4, nil, false)
	for range 2 {
		if r := postOK(t, c, s.url, nil, `{}`); r.status != 200 || string(r.excerpt) != "partial" {
			t.Fatalf("reply %d %q", r.status, r.excerpt)
		}
	}
	if conns, reqs := s.counts(); conns != 2 || reqs != 2 {
		t.Fatalf("server saw %d requests on %d connections, want 2 on 2", reqs, conns)
	}
}
