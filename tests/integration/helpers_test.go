// Package integration proves Graft's read API end to end: a private
// database per test, an in-process server, real HTTP requests, and
// assertions on whole response bodies.
package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

var httpClient = &http.Client{Timeout: 30 * time.Second}

// post sends body to path. Unlike testenv.Server's helpers it reports
// failures on the calling test, so subtests can share one server.
func post(t testing.TB, s *testenv.Server, path string, body any, headers map[string]string) *testenv.Response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func get(t testing.TB, s *testenv.Server, path string) *testenv.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) *testenv.Response {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &testenv.Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// admin returns the admin-secret header plus extra headers.
func admin(extra ...map[string]string) map[string]string {
	h := testenv.Admin()
	for _, e := range extra {
		for k, v := range e {
			h[k] = v
		}
	}
	return h
}

// gql posts a GraphQL query as admin (plus extra headers).
func gql(t testing.TB, s *testenv.Server, query string, vars map[string]any, headers ...map[string]string) *testenv.Response {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return post(t, s, "/v1/graphql", body, admin(headers...))
}

// meta posts an admin body to /v1/metadata without checking the status.
func meta(t testing.TB, s *testenv.Server, body any) *testenv.Response {
	t.Helper()
	return post(t, s, "/v1/metadata", body, admin())
}

// mustMeta posts to /v1/metadata and requires HTTP 200.
func mustMeta(t testing.TB, s *testenv.Server, body any) *testenv.Response {
	t.Helper()
	r := meta(t, s, body)
	if r.Status != 200 {
		t.Fatalf("/v1/metadata %s: status %d: %s", mustJSON(body), r.Status, r.Body)
	}
	return r
}

// runSQL runs SQL through /v2/query run_sql without checking the status.
func runSQL(t testing.TB, s *testenv.Server, sql string, extra ...map[string]any) *testenv.Response {
	t.Helper()
	args := map[string]any{"sql": sql}
	for _, e := range extra {
		for k, v := range e {
			args[k] = v
		}
	}
	return post(t, s, "/v2/query", map[string]any{"type": "run_sql", "args": args}, admin())
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// op builds a metadata request body.
func op(typ string, args any) map[string]any { return map[string]any{"type": typ, "args": args} }

// wantStatus fails unless the response has the given HTTP status.
func wantStatus(t testing.TB, r *testenv.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
}

// wantJSON compares a body with want as JSON values: object key order and
// insignificant whitespace are ignored, numbers compare by exact value.
func wantJSON(t testing.TB, got []byte, want string) {
	t.Helper()
	g, err := decodeNormalized(got)
	if err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, got)
	}
	w, err := decodeNormalized([]byte(want))
	if err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON mismatch\n got: %s\nwant: %s", got, compact(want))
	}
}

// wantOrdered compares a body with want byte for byte after removing
// insignificant whitespace: key order and number spelling must match too
// (Hasura answers fields in selection order).
func wantOrdered(t testing.TB, got []byte, want string) {
	t.Helper()
	if g, w := compact(string(got)), compact(want); g != w {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", g, w)
	}
}

// wantData runs a query as admin and compares the whole body with
// {"data": data}, in order.
func wantData(t testing.TB, s *testenv.Server, query string, vars map[string]any, data string) {
	t.Helper()
	r := gql(t, s, query, vars)
	wantStatus(t, r, 200)
	wantOrdered(t, r.Body, `{"data":`+data+`}`)
}

// wantGQLError runs a query and checks the single error's code, path and
// (when non-empty) a message fragment.
func wantGQLError(t testing.TB, r *testenv.Response, code, path, msgPart string) {
	t.Helper()
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
				Path string `json:"path"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.Body)
	}
	if len(body.Errors) != 1 || body.Data != nil {
		t.Fatalf("want exactly one error and no data, got %s", r.Body)
	}
	e := body.Errors[0]
	if e.Extensions.Code != code || (path != "" && e.Extensions.Path != path) || !strings.Contains(e.Message, msgPart) {
		t.Fatalf("error = {code %q, path %q, message %q}; want code %q, path %q, message containing %q",
			e.Extensions.Code, e.Extensions.Path, e.Message, code, path, msgPart)
	}
}

// wantAdminError checks an admin API error: status, code and a message fragment.
func wantAdminError(t testing.TB, r *testenv.Response, status int, code, msgPart string) {
	t.Helper()
	wantStatus(t, r, status)
	var body struct {
		Code  string `json:"code"`
		Error string `json:"error"`
		Path  string `json:"path"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.Body)
	}
	if body.Code != code || body.Path == "" || !strings.Contains(body.Error, msgPart) {
		t.Fatalf("error body %s; want code %q and error containing %q", r.Body, code, msgPart)
	}
}

func compact(s string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return s
	}
	return buf.String()
}

// decodeNormalized decodes JSON with numbers as exact rationals.
func decodeNormalized(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}

func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return string(v)
		}
		return "num:" + r.RatString()
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalizeNumbers(x)
		}
	}
	return v
}

// field extracts a value from a JSON body by a path of keys and indexes.
func field(t testing.TB, body []byte, path ...any) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, body)
	}
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no key %q in %s", p, body)
			}
			v = m[p]
		case int:
			l, ok := v.([]any)
			if !ok || p >= len(l) {
				t.Fatalf("no index %d in %s", p, body)
			}
			v = l[p]
		}
	}
	return v
}

// resourceVersion reads the current resource_version through export_metadata v2.
func resourceVersion(t testing.TB, s *testenv.Server) int64 {
	t.Helper()
	r := mustMeta(t, s, map[string]any{"type": "export_metadata", "version": 2, "args": map[string]any{}})
	f, ok := field(t, r.Body, "resource_version").(float64)
	if !ok {
		t.Fatalf("no numeric resource_version in %s", r.Body)
	}
	return int64(f)
}

// exportMetadata returns the export_metadata body.
func exportMetadata(t testing.TB, s *testenv.Server) []byte {
	t.Helper()
	return mustMeta(t, s, op("export_metadata", map[string]any{})).Body
}

// tableCount counts rows of a table through run_sql (so it also proves the
// table exists).
func tableCount(t testing.TB, s *testenv.Server, table string) string {
	t.Helper()
	r := runSQL(t, s, fmt.Sprintf("SELECT count(*) FROM %s", table))
	wantStatus(t, r, 200)
	n, _ := field(t, r.Body, "result", 1, 0).(string)
	return n
}

// jsonRaw embeds an already-encoded JSON body in a request.
func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }
