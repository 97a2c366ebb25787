// Package console serves Graft's web console at /console: GraphiQL and
// read-only pages for tables, event triggers and inconsistent metadata.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// static holds the hand-written pages (committed) and build/, the GraphiQL
// bundle `make console` writes (git-ignored, gzip-compressed files only).
// Without build/ the GraphiQL page is placeholder.html: a fresh clone
// builds and vets without npm.
//
//go:embed static
var static embed.FS

// Prefix is where the console is mounted.
const Prefix = "/console"

// bundle is the GraphiQL script the GraphiQL page loads; when it is not
// embedded, that page says how to build it.
const bundle = "build/graphiql.js"

// csp keeps the console to its own assets and its own server's API (the
// pages show data from the API, e.g. event payloads, as text only).
// Monaco needs inline styles, and data: fonts come from GraphiQL's CSS.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; worker-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'; connect-src 'self'"

// cspFor adds the WebSocket origin of the page to connect-src: browsers
// before CSP 3 do not count ws: and wss: as 'self'. A Host with anything
// but host characters is left out rather than written into the header.
func cspFor(host string) string {
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return csp
		}
	}
	if host == "" {
		return csp
	}
	return csp + " ws://" + host + " wss://" + host
}

// asset is one file of static, with what its response needs.
type asset struct {
	body        []byte
	gzipped     bool // body is gzip: sent as is when the client accepts it
	contentType string
	etag        string
}

// contentTypes are the console's own, rather than the mime package's, which
// the host's /etc/mime.types can change.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".ttf":  "font/ttf",
	".svg":  "image/svg+xml",
	".json": "application/json",
}

var (
	loadOnce sync.Once
	assets   map[string]*asset // by path under static/, without .gz
)

// load indexes static once; hashing the ~2 MB of assets takes milliseconds.
func load() {
	assets = map[string]*asset{}
	fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		a := &asset{body: body}
		if strings.HasSuffix(name, ".gz") {
			name, a.gzipped = strings.TrimSuffix(name, ".gz"), true
		}
		if a.contentType = contentTypes[path.Ext(name)]; a.contentType == "" {
			a.contentType = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		a.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		assets[name] = a
		return nil
	})
}

// Built reports whether the GraphiQL bundle is embedded (make console ran
// before the build).
func Built() bool {
	loadOnce.Do(load)
	return assets[bundle] != nil
}

// Handler serves the console under Prefix; mount it on Prefix and Prefix+"/".
// The console is public, as Hasura's: every page asks the API with the
// admin secret or JWT the user enters, and shows nothing without them.
func Handler() http.Handler {
	loadOnce.Do(load)
	return http.HandlerFunc(serve)
}

// Mount serves the console on mux: Prefix, what is under it, and "/"
// redirecting to it (302, relative), as Hasura's serveApiConsole does.
func Mount(mux *http.ServeMux) {
	h := Handler()
	mux.Handle("GET "+Prefix, h)
	mux.Handle("GET "+Prefix+"/", h)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", path.Base(Prefix))
		w.WriteHeader(http.StatusFound)
	})
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "" {
		// Relative (http.Redirect would make it absolute), so that it
		// works behind a proxy that adds a path prefix.
		w.Header().Set("Location", path.Base(Prefix)+"/")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	if name = strings.TrimPrefix(name, "/"); name == "" {
		name = "index.html"
	}
	if name == "index.html" && assets[bundle] == nil {
		name = "placeholder.html"
	}
	a := assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", cspFor(r.Host))
	h.Set("Referrer-Policy", "no-referrer")
	// Revalidated each time (a 304 thanks to the ETag): the bundle's file
	// names carry no content hash, so a copy cached before an upgrade must
	// not be used after it.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	if a.gzipped {
		h.Add("Vary", "Accept-Encoding")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var body io.Reader = bytes.NewReader(a.body)
	switch {
	case a.gzipped && acceptsGzip(r):
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	case a.gzipped: // decompressed on the fly, length unknown
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, "corrupt console asset", http.StatusInternalServerError)
			return
		}
		defer zr.Close()
		body = zr
	default:
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, body)
	}
}

// acceptsGzip reports whether Accept-Encoding names gzip (or *) without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if enc = strings.TrimSpace(enc); enc != "gzip" && enc != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
