package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to a Graft (or Hasura) server's admin endpoints, as Hasura's
// CLI does: metadata operations on /v1/metadata, SQL on /v2/query.
type Client struct {
	Endpoint    string // base URL, without /v1/...
	AdminSecret string
	HTTP        *http.Client
}

// NewClient returns a client for endpoint with a timeout long enough for big
// migrations but short enough that a hung server does not hang CI forever.
func NewClient(endpoint, adminSecret string) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), AdminSecret: adminSecret, HTTP: &http.Client{Timeout: 10 * time.Minute}}
}

// APIError is an error body the server answered with.
type APIError struct {
	Status   int
	Code     string          `json:"code"`
	Message  string          `json:"error"`
	Path     string          `json:"path"`
	Internal json.RawMessage `json:"internal"`
}

// Error gives one line: the Postgres message when the server ran SQL, so a
// failing migration names its SQL error, not "query execution failed".
func (e *APIError) Error() string {
	msg := e.Message
	var internal struct {
		Error struct {
			Message     string `json:"message"`
			StatusCode  string `json:"status_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if json.Unmarshal(e.Internal, &internal) == nil && internal.Error.Message != "" {
		msg = internal.Error.Message
		if internal.Error.StatusCode != "" {
			msg += " (SQLSTATE " + internal.Error.StatusCode + ")"
		}
	}
	// One line: pg_dump and Postgres messages may span several.
	msg = strings.Join(strings.Fields(msg), " ")
	if e.Code != "" {
		return fmt.Sprintf("%s: %s", e.Code, msg)
	}
	return msg
}

// Metadata posts one request body to /v1/metadata and decodes the answer into out (when not nil).
func (c *Client) Metadata(ctx context.Context, body, out any) error {
	return c.post(ctx, "/v1/metadata", body, out)
}

// Query posts one request body to /v2/query.
func (c *Client) Query(ctx context.Context, body, out any) error {
	return c.post(ctx, "/v2/query", body, out)
}

func (c *Client) post(ctx context.Context, path string, body, out any) error {
	data, err := c.postRaw(ctx, path, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response of %s: %w", path, err)
	}
	return nil
}

// postRaw posts body as JSON and returns the body of a 200 answer; any
// other answer is an *APIError.
func (c *Client) postRaw(ctx context.Context, path string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+path, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("bad endpoint %q: %w", c.Endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.AdminSecret != "" {
		req.Header.Set("X-Hasura-Admin-Secret", c.AdminSecret)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s: %w", c.Endpoint, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response of %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, ae) != nil || (ae.Message == "" && ae.Code == "") {
			ae.Message = fmt.Sprintf("%s answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(data)))
		}
		return nil, ae
	}
	return data, nil
}

// unwrapURLError drops net/http's `Post "url":` prefix: the message already names the server.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// op builds a {type, args} request body.
func op(typ string, args any) map[string]any {
	if args == nil {
		args = map[string]any{}
	}
	return map[string]any{"type": typ, "args": args}
}
