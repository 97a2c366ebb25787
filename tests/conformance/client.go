package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

const (
	requestTimeout = 30 * time.Second
	adminSecretHdr = "X-Hasura-Admin-Secret"
	maxBodyBytes   = 16 << 20 // a response larger than this is a bug in itself
)

// graftClient posts JSON bodies to one graft process.
type graftClient struct {
	http    *http.Client
	baseURL string
	secret  string
}

func newGraftClient(baseURL, secret string) *graftClient {
	return &graftClient{http: &http.Client{Timeout: requestTimeout}, baseURL: baseURL, secret: secret}
}

// httpResult is a response as received.
type httpResult struct {
	status int
	body   []byte
}

// post sends body to path with exactly the given headers (plus JSON content type).
func (c *graftClient) post(ctx context.Context, path string, body []byte, headers map[string]string) (httpResult, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return httpResult{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return httpResult{}, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return httpResult{}, fmt.Errorf("read response of POST %s: %w", path, err)
	}
	return httpResult{status: resp.StatusCode, body: b}, nil
}

// postAdmin posts a body with the admin secret alone and requires status.
func (c *graftClient) postAdmin(ctx context.Context, path string, body []byte, status int) (httpResult, error) {
	res, err := c.post(ctx, path, body, map[string]string{adminSecretHdr: c.secret})
	if err != nil {
		return res, err
	}
	if res.status != status {
		return res, fmt.Errorf("expected status %d, got %d %s", status, res.status, truncate(string(res.body), 500))
	}
	return res, nil
}

// isGraphQLURL tells which URLs report a missing admin secret inside a 200
// GraphQL response rather than with HTTP 401 (FORMAT.md §5).
func isGraphQLURL(url string) bool {
	return url == "/v1/graphql" || url == "/v1beta1/relay"
}

// checkSecretRequired sends the step's request without the admin secret and
// with a wrong one, as the harness does in admin-secret mode, and returns
// what was wrong with the answers.
func (c *graftClient) checkSecretRequired(ctx context.Context, step Step) []string {
	wrong, err := randomSecret()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, attempt := range []struct {
		name   string
		secret string
	}{{"without admin secret", ""}, {"with a wrong admin secret", wrong}} {
		headers := cloneHeaders(step.Headers)
		if attempt.secret != "" {
			headers[adminSecretHdr] = attempt.secret
		}
		res, err := c.post(ctx, step.URL, step.Query, headers)
		if err != nil {
			problems = append(problems, fmt.Sprintf("request %s: %v", attempt.name, err))
			continue
		}
		if p := deniedProblem(step, res); p != "" {
			problems = append(problems, fmt.Sprintf("request %s: %s", attempt.name, p))
		}
	}
	return problems
}

// deniedProblem checks one unauthenticated answer; "" means it is right.
func deniedProblem(step Step, res httpResult) string {
	allowed := []int{http.StatusUnauthorized, http.StatusNotFound}
	if isGraphQLURL(step.URL) {
		allowed = []int{http.StatusOK}
		if step.Status == http.StatusNotFound {
			allowed = []int{http.StatusNotFound}
		}
	}
	if !slices.Contains(allowed, res.status) {
		return fmt.Sprintf("expected status in %v, got %d: %s", allowed, res.status, truncate(string(res.body), 300))
	}
	if !isGraphQLURL(step.URL) || res.status != http.StatusOK {
		return ""
	}
	body, err := decodeJSON(res.body)
	if err != nil || !deniedBody(body) {
		return fmt.Sprintf("expected an error with extensions.code access-denied, got %s", truncate(string(res.body), 300))
	}
	return ""
}

// deniedBody accepts {"errors":[...access-denied...]}, or a batched array of them.
func deniedBody(body any) bool {
	if list, ok := body.([]any); ok {
		for _, item := range list {
			if !deniedBody(item) {
				return false
			}
		}
		return len(list) > 0
	}
	return isErrorBody(body) && slices.Contains(errorCodes(body), "access-denied")
}

func cloneHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h)+2)
	for k, v := range h {
		out[k] = v
	}
	return out
}

func randomSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// compactJSON renders a body on one line for the report; invalid JSON is
// returned as is.
func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
