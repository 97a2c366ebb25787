package integration

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// statementCounter is a TCP proxy in front of a real PostgreSQL database
// that reads the frontend side of the wire protocol and records every
// statement a client runs through it: a simple Query, or a Bind of a
// prepared (named or unnamed) statement, by its SQL text. Pointing a
// source at its URL counts that source's statements per request without a
// hook in Graft and without pg_stat_statements.
type statementCounter struct {
	ln  net.Listener
	url string

	mu   sync.Mutex
	runs []string
}

// startStatementCounter proxies dbURL until the test ends.
func startStatementCounter(t testing.TB, dbURL string) *statementCounter {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = ln.Addr().String()
	c := &statementCounter{ln: ln, url: u.String()}
	t.Cleanup(func() { ln.Close() })
	go c.accept(target)
	return c
}

func (c *statementCounter) accept(target string) {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", target)
		if err != nil {
			client.Close()
			continue
		}
		go func() {
			_, _ = io.Copy(client, server)
			client.Close()
		}()
		go func() {
			c.forwardFrontend(client, server)
			server.Close()
		}()
	}
}

// sslRequest and gssEncRequest are the untyped requests a client may send
// before its startup message.
const (
	sslRequest    = 80877103
	gssEncRequest = 80877104
)

// forwardFrontend passes one connection's client messages on to the
// server, each recorded before it is sent: by the time the client has an
// answer, its statement is counted.
func (c *statementCounter) forwardFrontend(client io.Reader, server io.Writer) {
	br := bufio.NewReader(client)
	// Untyped: SSL/GSS requests, then the startup message.
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[:4]))
		code := binary.BigEndian.Uint32(hdr[4:])
		if n < 8 {
			return
		}
		rest := make([]byte, n-8)
		if _, err := io.ReadFull(br, rest); err != nil {
			return
		}
		if _, err := server.Write(append(hdr[:], rest...)); err != nil {
			return
		}
		if code != sslRequest && code != gssEncRequest {
			break
		}
	}
	prepared := map[string]string{}
	for {
		typ, body, err := readMessage(br)
		if err != nil {
			return
		}
		switch typ {
		case 'Q':
			c.record(cstrings(body, 1)[0])
		case 'P':
			s := cstrings(body, 2)
			prepared[s[0]] = s[1]
		case 'B':
			s := cstrings(body, 2)
			c.record(prepared[s[1]])
		}
		var hdr [5]byte
		hdr[0] = typ
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(body)+4))
		if _, err := server.Write(append(hdr[:], body...)); err != nil {
			return
		}
	}
}

func readMessage(br *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:]))
	if n < 4 {
		return 0, nil, errors.New("bad message length")
	}
	body := make([]byte, n-4)
	_, err := io.ReadFull(br, body)
	return hdr[0], body, err
}

// cstrings reads the first n NUL-terminated strings of a message body.
func cstrings(body []byte, n int) []string {
	out := make([]string, n)
	for i := range out {
		j := bytes.IndexByte(body, 0)
		if j < 0 {
			out[i] = string(body)
			return out
		}
		out[i], body = string(body[:j]), body[j+1:]
	}
	return out
}

// metadataWork matches what metadata runs: its own tables (hdb_catalog),
// its lock, and reads of PostgreSQL's catalogs (an unquoted pg_ relation or
// information_schema) to introspect. A reload may run them at any time
// (metadata/sync.go reloads on its own change notification when that
// arrives before the new snapshot is published); they are not a request's.
var metadataWork = regexp.MustCompile(`(?i)\b(from|join)\s+(pg_|information_schema)|hdb_catalog|pg_advisory`)

// record keeps a statement, leaving out the pool's pings, transaction
// control and metadata's work: what counts is the statements that read or
// write rows.
func (c *statementCounter) record(sql string) {
	s := strings.ToLower(strings.TrimSpace(sql))
	switch {
	case s == "", strings.HasPrefix(s, "-- ping"), s == "begin", s == "commit", s == "rollback",
		strings.HasPrefix(s, "begin "), strings.HasPrefix(s, "start transaction"), metadataWork.MatchString(s):
		return
	}
	c.mu.Lock()
	c.runs = append(c.runs, sql)
	c.mu.Unlock()
}

// mark is the number of statements recorded so far.
func (c *statementCounter) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.runs)
}

// since returns the statements recorded after mark m.
func (c *statementCounter) since(m int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.runs[m:]...)
}
