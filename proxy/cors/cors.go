// Package cors applies HASURA_GRAPHQL_CORS_DOMAIN and
// HASURA_GRAPHQL_DISABLE_CORS as Hasura does (Hasura.Server.Cors and
// Hasura.Server.Middleware): which origins get CORS headers, how a
// preflight is answered, and which WebSocket handshakes are accepted.
package cors

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Methods are the methods Hasura's default policy allows.
const Methods = "GET,POST,PUT,PATCH,DELETE,OPTIONS"

// MaxAge is how long (seconds) a browser may cache a preflight, as Hasura's.
const MaxAge = "1728000"

// domain is one configured origin split as Hasura splits it: scheme
// ("http://" or "https://"), host (without the "*." of a wildcard) and port
// (-1 when absent).
type domain struct {
	scheme, host string
	port         int
}

// Policy is the parsed CORS configuration. The zero value allows every
// origin (Hasura's default "*").
type Policy struct {
	// Disabled: no CORS headers at all (HASURA_GRAPHQL_DISABLE_CORS); the
	// browser's same-origin rule then applies.
	Disabled bool
	// ReadCookie: with CORS disabled, WebSocket handshakes still pass their
	// Cookie header on (HASURA_GRAPHQL_WS_READ_COOKIE). Hasura drops it
	// otherwise: a cross-site page could open a socket with the user's
	// cookies and nothing would check its origin.
	ReadCookie bool
	all        bool            // "*": every origin
	exact      map[string]bool // scheme://host[:port], lower case
	wildcards  map[domain]bool // https://*.example.com: any one label before the host
	raw        []string        // as configured, for String
}

// AllowAll is the policy of "*".
func AllowAll() *Policy { return &Policy{all: true} }

// Parse reads a HASURA_GRAPHQL_CORS_DOMAIN value: "*", or a comma-separated
// list of scheme://host[:port], where the host may start with "*." to allow
// every single-label subdomain (https://*.example.com allows
// https://app.example.com, neither https://example.com nor
// https://a.b.example.com, as Hasura). The port must match exactly:
// https://*.example.com does not allow https://app.example.com:8443.
func Parse(s string) (*Policy, error) {
	if strings.TrimSpace(s) == "*" {
		return AllowAll(), nil
	}
	p := &Policy{exact: map[string]bool{}, wildcards: map[domain]bool{}}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		d, wildcard, err := parseDomain(item)
		if err != nil {
			return nil, fmt.Errorf("invalid domain: '%s'. All domains should have scheme + (optional wildcard) host + (optional port)", item)
		}
		if wildcard {
			p.wildcards[d] = true
		} else {
			p.exact[d.String()] = true
		}
		p.raw = append(p.raw, item)
	}
	return p, nil
}

// parseDomain splits scheme://[*.]host[:port].
func parseDomain(s string) (d domain, wildcard bool, err error) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "http://"):
		d.scheme = "http://"
	case strings.HasPrefix(lower, "https://"):
		d.scheme = "https://"
	default:
		return d, false, fmt.Errorf("no http:// or https:// scheme")
	}
	rest := lower[len(d.scheme):]
	if strings.HasPrefix(rest, "*.") {
		wildcard, rest = true, rest[2:]
	}
	d.host, d.port, err = hostPort(rest)
	return d, wildcard, err
}

// hostPort splits host[:port]. A host with a path, a user or an empty
// label never matches an Origin header, so it is refused rather than
// accepted and silently useless.
func hostPort(s string) (string, int, error) {
	host, port := s, -1
	if i := strings.IndexByte(s, ':'); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 || n > 65535 {
			return "", 0, fmt.Errorf("bad port")
		}
		host, port = s[:i], n
	}
	if host == "" || strings.ContainsAny(host, "/@?#*[] ") || strings.HasPrefix(host, ".") ||
		strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return "", 0, fmt.Errorf("bad host")
	}
	return host, port, nil
}

func (d domain) String() string {
	if d.port < 0 {
		return d.scheme + d.host
	}
	return d.scheme + d.host + ":" + strconv.Itoa(d.port)
}

// String is the configuration as given ("*" for every origin).
func (p *Policy) String() string {
	switch {
	case p.Disabled:
		return "disabled"
	case p.all || p.exact == nil:
		return "*"
	}
	return strings.Join(p.raw, ",")
}

// Allows reports whether origin (an Origin header) may read responses:
// listed exactly, or one label below a wildcard domain with the same
// scheme and port.
func (p *Policy) Allows(origin string) bool {
	if p.Disabled {
		return false
	}
	if p.all || p.exact == nil {
		return true
	}
	lower := strings.ToLower(origin)
	if p.exact[lower] {
		return true
	}
	if len(p.wildcards) == 0 {
		return false
	}
	var d domain
	switch {
	case strings.HasPrefix(lower, "http://"):
		d.scheme = "http://"
	case strings.HasPrefix(lower, "https://"):
		d.scheme = "https://"
	default:
		return false
	}
	rest := lower[len(d.scheme):]
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 {
		return false
	}
	host, port, err := hostPort(rest[dot+1:])
	if err != nil {
		return false
	}
	d.host, d.port = host, port
	return p.wildcards[d]
}

// Handler adds CORS headers to responses for allowed origins and answers
// their preflight requests itself (204, as Hasura, before routing: a
// preflight never reaches an endpoint). A request from another origin, or
// any request with CORS disabled, passes through untouched.
func (p *Policy) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !p.Allows(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", Methods)
		// The answer depends on Origin: shared caches must not reuse it for
		// another one (Hasura omits this; it changes nothing for browsers).
		h.Add("Vary", "Origin")
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Max-Age", MaxAge)
		h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
		h.Set("Content-Length", "0")
		h.Set("Content-Type", "text/plain charset=UTF-8")
		w.WriteHeader(http.StatusNoContent)
	})
}

// WebSocketError (nil-safe: a nil policy allows all) is why a handshake with this Origin is refused, or "" when
// it is accepted: Hasura checks a socket's origin against the list (a
// browser does not apply CORS to WebSockets), accepts every origin with
// "*" or with CORS disabled, and refuses with HTTP 400, access-denied.
func (p *Policy) WebSocketError(origin string) string {
	if p == nil || origin == "" || p.Disabled || p.Allows(origin) {
		return ""
	}
	return "received origin header does not match configured CORS domains"
}

// DropsCookie reports whether a WebSocket handshake's Cookie header must be
// ignored: CORS disabled without HASURA_GRAPHQL_WS_READ_COOKIE, as Hasura.
func (p *Policy) DropsCookie() bool { return p != nil && p.Disabled && !p.ReadCookie }
