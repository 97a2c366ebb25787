package authz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Webhook authenticates requests with HASURA_GRAPHQL_AUTH_HOOK: the client's
// headers are forwarded (GET) or posted with the request (POST); a 200
// answer is the session, 401 denies. Answers are cached as their
// Cache-Control max-age or Expires allow.
type Webhook struct {
	URL  string
	Mode string // GET or POST
	// Log, when set, gets a webhook-log line for every call of the hook
	// (not for answers served from the cache).
	Log    *slog.Logger
	client *http.Client

	mu    sync.Mutex
	cache map[[32]byte]cachedSession
}

type cachedSession struct {
	vars    map[string]string
	expires time.Time
}

// NewWebhook returns a webhook authenticator.
func NewWebhook(url, mode string) *Webhook {
	if mode == "" {
		mode = http.MethodGet
	}
	return &Webhook{URL: url, Mode: strings.ToUpper(mode), client: &http.Client{Timeout: 30 * time.Second},
		cache: map[[32]byte]cachedSession{}}
}

// Headers Hasura never forwards to the hook: they describe the transport,
// not the caller.
var skipHeaders = map[string]bool{
	"content-length": true, "content-type": true, "content-md5": true, "user-agent": true, "host": true,
	"origin": true, "referer": true, "accept": true, "accept-encoding": true, "accept-language": true,
	"accept-datetime": true, "cache-control": true, "connection": true, "dnt": true,
}

func (w *Webhook) resolve(ctx context.Context, h http.Header, body []byte) (Session, error) {
	fwd := map[string]string{}
	for k, vs := range h {
		if !skipHeaders[strings.ToLower(k)] && len(vs) > 0 {
			fwd[k] = vs[0]
		}
	}
	key := cacheKey(fwd, w.Mode == http.MethodPost, body)
	now := time.Now()
	w.mu.Lock()
	if c, ok := w.cache[key]; ok && now.Before(c.expires) {
		w.mu.Unlock()
		return sessionFromVars(c.vars)
	}
	w.mu.Unlock()
	var req *http.Request
	var err error
	if w.Mode == http.MethodPost {
		payload := map[string]any{"headers": fwd}
		if len(body) > 0 && json.Valid(body) {
			payload["request"] = json.RawMessage(body)
		}
		b, _ := json.Marshal(payload)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, w.URL, nil)
		if err == nil {
			for k, v := range fwd {
				req.Header.Set(k, v)
			}
		}
	}
	if err != nil {
		return Session{}, &Error{Status: 500, Code: "unexpected", Message: "cannot build the authorization hook request"}
	}
	resp, err := w.client.Do(req)
	if err != nil {
		w.logCall(ctx, 0, err, nil)
		return Session{}, &Error{Status: 500, Code: "unexpected", Message: "authorization hook unreachable"}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	w.logCall(ctx, resp.StatusCode, nil, raw)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return Session{}, &Error{Status: 401, Code: "access-denied", Message: "Authentication hook unauthorized this request"}
	default:
		return Session{}, &Error{Status: 500, Code: "unexpected", Message: fmt.Sprintf("Invalid response from authorization hook: HTTP %d", resp.StatusCode)}
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Session{}, &Error{Status: 500, Code: "unexpected", Message: "Invalid response from authorization hook: not a JSON object"}
	}
	vars := map[string]string{}
	for k, v := range obj {
		vars[strings.ToLower(k)] = sessionValue(v)
	}
	if exp := cacheExpiry(resp.Header, now); exp.After(now) {
		w.mu.Lock()
		if len(w.cache) > 10000 {
			w.cache = map[[32]byte]cachedSession{}
		}
		w.cache[key] = cachedSession{vars: vars, expires: exp}
		w.mu.Unlock()
	}
	return sessionFromVars(vars)
}

func sessionFromVars(vars map[string]string) (Session, error) {
	role := vars["x-hasura-role"]
	if role == "" {
		return Session{}, &Error{Status: 500, Code: "unexpected", Message: "Invalid response from authorization hook: x-hasura-role is missing"}
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if k != "x-hasura-role" {
			out[k] = v
		}
	}
	return Session{Role: role, Vars: out}, nil
}

func cacheKey(h map[string]string, withBody bool, body []byte) [32]byte {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(d, "%s\x00%s\x00", strings.ToLower(k), h[k])
	}
	if withBody {
		d.Write(body)
	}
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

// logCall writes the webhook-log line of one call, in Hasura's shape: info
// with the status on 200; error with the status, the transport error and
// the start of the response otherwise (a 200 answer holds the session, not
// logged). The URL is logged without credentials or query string.
func (w *Webhook) logCall(ctx context.Context, status int, callErr error, body []byte) {
	if w.Log == nil {
		return
	}
	level := slog.LevelInfo
	var code, httpErr, response any // null when absent, as Hasura
	if status != 0 {
		code = status
	}
	if status != http.StatusOK {
		level = slog.LevelError
		if callErr != nil {
			httpErr = callErr.Error()
		}
		if len(body) > 0 {
			response = strings.ToValidUTF8(string(body[:min(len(body), 1024)]), "\uFFFD")
		}
	}
	target := "(unparsable URL)"
	if u, err := url.Parse(w.URL); err == nil {
		u.User, u.RawQuery, u.ForceQuery = nil, "", false
		target = u.String()
	}
	w.Log.Log(ctx, level, "authentication webhook", "type", "webhook-log", "url", target, "method", w.Mode,
		"status_code", code, "http_error", httpErr, "response", response)
}
