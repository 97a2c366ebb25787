package cors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseAndAllows(t *testing.T) {
	p, err := Parse("https://app.example.com, http://localhost:3000, https://*.example.org, http://*.local:8080")
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example.com":      true,
		"https://APP.example.com":      true,  // hosts are case-insensitive
		"http://app.example.com":       false, // scheme differs
		"https://app.example.com:443":  false, // Hasura compares the port as written
		"http://localhost:3000":        true,
		"http://localhost:3001":        false,
		"http://localhost":             false,
		"https://a.example.org":        true,
		"https://example.org":          false, // the wildcard needs a label
		"https://a.b.example.org":      false, // exactly one label, as Hasura's parser
		"http://a.example.org":         false,
		"https://a.example.org:8443":   false,
		"http://x.local:8080":          true,
		"http://x.local":               false,
		"https://evil.com":             false,
		"https://example.org.evil.com": false,
		"null":                         false,
		"":                             false,
	} {
		if got := p.Allows(origin); got != want {
			t.Errorf("Allows(%q) = %v, want %v", origin, got, want)
		}
	}
}

func TestParseStar(t *testing.T) {
	p, err := Parse("*")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allows("https://anything.example") || p.String() != "*" {
		t.Fatalf("* policy: allows=%v string=%q", p.Allows("https://anything.example"), p.String())
	}
	var zero Policy
	if !zero.Allows("http://x") {
		t.Fatal("the zero policy must allow every origin, as Hasura's default")
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"", ",", "example.com", "ftp://example.com", "https://", "https://*.",
		"https://example.com:port", "https://example.com/path", "https://ex ample.com", "https://a..b",
		"https://example.com:70000", "https://*.*.example.com"} {
		_, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) accepted", bad)
			continue
		}
		if !strings.HasPrefix(err.Error(), "invalid domain: '") {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	p, err := Parse("http://localhost:03000")
	if err != nil || !p.Allows("http://localhost:3000") {
		t.Fatalf("a port is a number, as Hasura parses it: %v", err)
	}
}

func TestHandler(t *testing.T) {
	p, _ := Parse("https://*.example.com")
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(418)
	}))
	req := httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-hasura-role")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     Methods,
		"Access-Control-Allow-Headers":     "content-type,x-hasura-role",
		"Access-Control-Max-Age":           "1728000",
	}
	if rec.Code != 204 {
		t.Fatalf("preflight status %d", rec.Code)
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	req = httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
	req.Header.Set("Origin", "https://evil.com")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 418 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("denied origin: status %d, headers %v", rec.Code, rec.Header())
	}
	p.Disabled = true
	req = httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	req.Header.Set("Origin", "https://app.example.com")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS disabled still sent headers")
	}
}

func TestWebSocketRule(t *testing.T) {
	p, _ := Parse("https://app.example.com")
	if p.WebSocketError("https://app.example.com") != "" || p.WebSocketError("") != "" {
		t.Fatal("allowed or absent origin refused")
	}
	if p.WebSocketError("https://evil.com") == "" {
		t.Fatal("other origin accepted")
	}
	p.Disabled = true
	if p.WebSocketError("https://evil.com") != "" || !p.DropsCookie() {
		t.Fatal("CORS disabled: Hasura accepts every origin and drops the cookie")
	}
	p.ReadCookie = true
	if p.DropsCookie() {
		t.Fatal("HASURA_GRAPHQL_WS_READ_COOKIE keeps the cookie")
	}
}
