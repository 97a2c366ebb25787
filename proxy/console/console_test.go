package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func request(t *testing.T, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

// TestPagesAndContentTypes: the pages, scripts and styles each have their
// type and the console's security headers; unknown paths are 404s.
func TestPagesAndContentTypes(t *testing.T) {
	for path, want := range map[string]string{
		"/console/":                  "text/html; charset=utf-8",
		"/console/tables.html":       "text/html; charset=utf-8",
		"/console/events.html":       "text/html; charset=utf-8",
		"/console/inconsistent.html": "text/html; charset=utf-8",
		"/console/common.js":         "text/javascript; charset=utf-8",
		"/console/events.js":         "text/javascript; charset=utf-8",
		"/console/console.css":       "text/css; charset=utf-8",
	} {
		rec := request(t, "GET", path, nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want 200 %q", path, rec.Code, rec.Header().Get("Content-Type"), want)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: security headers missing: %v", path, rec.Header())
		}
	}
	for _, path := range []string{"/console/nope.js", "/console/build/nope.js", "/console/../go.mod"} {
		if rec := request(t, "GET", path, nil); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
	if got := cspFor("graft.example:8080"); !strings.HasSuffix(got, "connect-src 'self' ws://graft.example:8080 wss://graft.example:8080") {
		t.Errorf("CSP for a host: %s", got)
	}
	if got := cspFor("evil;script-src *"); got != csp {
		t.Errorf("CSP for a bad host: %s", got)
	}
	if rec := request(t, "POST", "/console/", nil); rec.Code != 405 {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
	rec := request(t, "GET", "/console", nil)
	if rec.Code != 301 || rec.Header().Get("Location") != "console/" {
		t.Errorf("/console: %d to %q, want a relative redirect to console/", rec.Code, rec.Header().Get("Location"))
	}
}

// TestIndexWithOrWithoutBundle: /console/ is GraphiQL when make console ran
// before the build, else the placeholder saying so.
func TestIndexWithOrWithoutBundle(t *testing.T) {
	body := request(t, "GET", "/console/", nil).Body.String()
	if Built() {
		if !strings.Contains(body, `src="build/graphiql.js"`) {
			t.Fatalf("built, but /console/ is not the GraphiQL page:\n%s", body)
		}
		return
	}
	t.Log("GraphiQL bundle not built (make console): checking the placeholder")
	if !strings.Contains(body, "console assets not built: run make console") {
		t.Fatalf("/console/ without the bundle:\n%s", body)
	}
}

// TestGzipAndETag: the bundle is stored compressed and sent as is to
// clients that accept gzip, decompressed for the others; an ETag turns a
// repeated request into a 304.
func TestGzipAndETag(t *testing.T) {
	if !Built() {
		t.Skip("GraphiQL bundle not built: run make console (make test does)")
	}
	for path, want := range map[string]string{
		"/console/build/graphiql.js":       "text/javascript; charset=utf-8",
		"/console/build/editor.worker.js":  "text/javascript; charset=utf-8",
		"/console/build/graphql.worker.js": "text/javascript; charset=utf-8",
		"/console/build/json.worker.js":    "text/javascript; charset=utf-8",
		"/console/build/graphiql.css":      "text/css; charset=utf-8",
		"/console/build/codicon.ttf":       "font/ttf",
	} {
		gz := request(t, "GET", path, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
		if gz.Code != 200 || gz.Header().Get("Content-Type") != want || gz.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s with gzip: %d %v", path, gz.Code, gz.Header())
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: not gzip: %v", path, err)
		}
		unzipped, _ := io.ReadAll(zr)
		plain := request(t, "GET", path, map[string]string{"Accept-Encoding": "identity"})
		if plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), unzipped) || len(unzipped) == 0 {
			t.Fatalf("%s without gzip: %v, %d bytes, want the %d decompressed", path, plain.Header(), plain.Body.Len(), len(unzipped))
		}
		again := request(t, "GET", path, map[string]string{"If-None-Match": gz.Header().Get("ETag")})
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Fatalf("%s with its ETag: %d, %d bytes", path, again.Code, again.Body.Len())
		}
	}
	if !acceptsGzip(&http.Request{Header: http.Header{"Accept-Encoding": {"br, gzip;q=0.5"}}}) ||
		acceptsGzip(&http.Request{Header: http.Header{"Accept-Encoding": {"gzip;q=0"}}}) {
		t.Fatal("acceptsGzip misreads q values")
	}
}

// TestMount: the console's routes, and / redirecting to it as Hasura's does.
func TestMount(t *testing.T) {
	mux := http.NewServeMux()
	Mount(mux)
	mux.HandleFunc("/", http.NotFound)
	for path, want := range map[string]int{"/": 302, "/console": 301, "/console/": 200, "/console/tables.html": 200, "/other": 404} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
		if path == "/" && rec.Header().Get("Location") != "console" {
			t.Errorf("GET /: Location %q, want console", rec.Header().Get("Location"))
		}
	}
}
