package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/graftql/graft/proxy/console"
	"github.com/graftql/graft/tests/testenv"
)

// chromiumPath is Debian's chromium, which scripts/ensure-chromium.sh
// installs before `make test` runs the Go tests.
const chromiumPath = "/usr/bin/chromium"

// TestConsoleHTTP: /console is Hasura's 404 unless HASURA_GRAPHQL_ENABLE_CONSOLE
// is true (and the metadata API enabled); then its pages and the embedded
// GraphiQL bundle are served with their content types, and / redirects to
// it as Hasura's does.
func TestConsoleHTTP(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	off := testenv.Start(t, db)
	for _, path := range []string{"/console", "/console/", "/console/events.html"} {
		r := get(t, off, path)
		wantStatus(t, r, 404)
		wantJSON(t, r.Body, `{"path":"$","error":"resource does not exist","code":"not-found"}`)
	}
	on := testenv.Start(t, db, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_ENABLE_CONSOLE": "true"}})
	types := map[string]string{
		"/console/":                  "text/html; charset=utf-8",
		"/console/tables.html":       "text/html; charset=utf-8",
		"/console/events.html":       "text/html; charset=utf-8",
		"/console/inconsistent.html": "text/html; charset=utf-8",
		"/console/common.js":         "text/javascript; charset=utf-8",
		"/console/console.css":       "text/css; charset=utf-8",
	}
	if console.Built() {
		types["/console/build/graphiql.js"] = "text/javascript; charset=utf-8"
		types["/console/build/graphql.worker.js"] = "text/javascript; charset=utf-8"
		types["/console/build/graphiql.css"] = "text/css; charset=utf-8"
		types["/console/build/codicon.ttf"] = "font/ttf"
	} else {
		t.Log("GraphiQL bundle not built (make console): its assets are not checked")
	}
	for path, want := range types {
		r := get(t, on, path) // Go's client asks for gzip and decompresses
		wantStatus(t, r, 200)
		if got := r.Header.Get("Content-Type"); got != want || len(r.Body) == 0 {
			t.Errorf("%s: Content-Type %q (%d bytes), want %q", path, got, len(r.Body), want)
		}
	}
	r := get(t, on, "/") // followed to /console, then /console/
	if wantStatus(t, r, 200); !strings.Contains(string(r.Body), "Graft console") {
		t.Fatalf("/: %s", r.Body)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(on.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "console" {
		t.Fatalf("/: %d to %q, want Hasura's 302 to console", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantStatus(t, get(t, on, "/console/missing.js"), 404)
	wantStatus(t, get(t, off, "/"), 404)
	// As Hasura's, the console needs the metadata API.
	noMeta := testenv.Start(t, db, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_ENABLE_CONSOLE": "true", "HASURA_GRAPHQL_ENABLED_APIS": "graphql"}})
	wantStatus(t, get(t, noMeta, "/console/"), 404)
}

// requireBrowser skips the test, loudly, when the browser or the GraphiQL
// bundle is missing; under CI=true that is a failure instead.
func requireBrowser(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = chromiumPath + " is missing (scripts/ensure-chromium.sh installs it; make test runs it)"
	} else if !console.Built() {
		missing = "the console's GraphiQL bundle is not built (make console; make test runs it)"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", missing)
	}
	t.Skipf("\n%[1]s\nSKIPPING THE CONSOLE BROWSER TEST: %[2]s\n%[1]s", strings.Repeat("#", 72), missing)
}

// browser is a headless chromium tab; Close reports what the page logged.
type browser struct {
	t        *testing.T
	ctx      context.Context
	cancel   func()
	shots    string
	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// newBrowser starts chromium with the flags this kind of machine needs (no
// sandbox as root, no GPU, no network of its own) and a fresh profile.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, shots: filepath.Join(root, ".graft", "console-screenshots")}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // a container's /dev/shm is small
		chromedp.UserDataDir(profileDir(t)),
		chromedp.WindowSize(1440, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	b.ctx = ctx
	b.cancel = func() { cancelCtx(); cancelAlloc() }
	// The first Run starts the browser: without a timeout, as chromedp asks.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.cancel()
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.close)
	return b
}

// profileDir is a fresh chromium profile, removed at cleanup with retries:
// chromium's helper processes can still write to it for a moment after the
// browser exits, which would fail t.TempDir's single attempt.
func profileDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "graft-console-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("chromium profile %s not removed", dir)
	})
	return dir
}

// close stops the browser and fails the test on an uncaught exception or a
// resource the Content-Security-Policy refused: either breaks a page.
func (b *browser) close() {
	b.cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.messages {
		b.t.Logf("browser console: %s (%s)", m, m.URL)
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			b.t.Errorf("browser: %s at %s:%d", m, m.URL, m.Line)
		}
	}
}

// do runs actions with a deadline, and on failure saves a screenshot of
// the page named after the step.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
}

// waitText waits until the element sel shows want (Monaco writes spaces as
// no-break spaces: they compare as spaces).
func (b *browser) waitText(step, sel, want string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(sel, want) => {
		const e = document.querySelector(sel);
		return !!e && e.innerText.replace(/\u00a0/g, ' ').includes(want);
	}`, chromedp.WithPollingArgs(sel, want), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.innerText ?? "(no element)"`, sel)))
		b.screenshot("failed-" + step)
		b.t.Fatalf("%s: %s does not show %q: %v\nit shows: %s", step, sel, want, err, got)
	}
}

// screenshot saves the whole page as .graft/console-screenshots/<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}
