package conformance

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/graftql/graft/tests/helpers/actionwebhook"
)

// actionWebhookHelper names helper A in MANIFEST `helpers` values
// ("action-webhook (HELPERS.md section A)").
const actionWebhookHelper = "action-webhook"

// actionWebhook is the one action webhook of a run: only one graft runs
// at a time, so startEnv re-points its call-backs at each new graft.
var actionWebhook struct {
	sync.Mutex
	srv *actionwebhook.Server
}

// startActionWebhook starts the action webhook on actionWebhookURL when a
// selected case needs it, and returns the function that stops it. A port
// already taken (another run) is reported, not fatal: those cases fail.
func startActionWebhook(ctx context.Context, s *suite, secret string) (stop func()) {
	if !needsHelper(s, actionWebhookHelper) {
		return func() {}
	}
	u, err := url.Parse(actionWebhookURL)
	if err != nil {
		return func() {}
	}
	srv, err := actionwebhook.Start(ctx, u.Host, "", secret)
	if err != nil {
		fmt.Printf("conformance: action webhook not started: %v\n", err)
		return func() {}
	}
	actionWebhook.Lock()
	actionWebhook.srv = srv
	actionWebhook.Unlock()
	return func() {
		actionWebhook.Lock()
		actionWebhook.srv = nil
		actionWebhook.Unlock()
		srv.Stop()
	}
}

// pointActionWebhook sends the webhook's call-backs to the graft at baseURL.
func pointActionWebhook(baseURL, secret string) {
	actionWebhook.Lock()
	defer actionWebhook.Unlock()
	if actionWebhook.srv != nil {
		actionWebhook.srv.SetEngine(baseURL, secret)
	}
}

func needsHelper(s *suite, name string) bool {
	for _, d := range s.dirs {
		for _, c := range d.cases {
			for _, h := range c.Helpers {
				if strings.HasPrefix(h, name) {
					return true
				}
			}
		}
	}
	return false
}
