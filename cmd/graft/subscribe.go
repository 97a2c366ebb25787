package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/spf13/cobra"
)

// newSubscribeCmd is `graft subscribe`: a minimal graphql-transport-ws
// client, so that trying a subscription needs no tool beyond graft itself
// (curl has no WebSocket support on most systems).
func newSubscribeCmd() *cobra.Command {
	var (
		endpoint, token, variables string
		headers                    []string
		count                      int
	)
	cmd := &cobra.Command{
		Use:   "subscribe QUERY",
		Short: "Run a GraphQL subscription over WebSocket and print each result as a line of JSON",
		Example: `  graft subscribe --token "$TOKEN" --count 2 \
    'subscription { posts(order_by: {id: desc}, limit: 1) { id body } }'`,
		Args: cobra.ExactArgs(1),
		// main prints the error; usage would bury it.
		SilenceUsage: true, SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			init := map[string]string{}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok || strings.TrimSpace(k) == "" {
					return fmt.Errorf("--header %q: want \"Name: value\"", h)
				}
				init[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if token != "" {
				init["Authorization"] = "Bearer " + token
			}
			payload := map[string]any{"query": args[0]}
			if variables != "" {
				if !json.Valid([]byte(variables)) {
					return fmt.Errorf("--variables is not valid JSON")
				}
				payload["variables"] = json.RawMessage(variables)
			}
			wsURL, err := websocketURL(endpoint)
			if err != nil {
				return err
			}
			return subscribe(cmd.Context(), wsURL, init, payload, count, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "url", "http://localhost:8080/v1/graphql", "GraphQL endpoint (http(s):// or ws(s)://)")
	f.StringVar(&token, "token", "", "JWT, sent as Authorization: Bearer")
	f.StringArrayVarP(&headers, "header", "H", nil, `header for connection_init, "Name: value" (repeatable), e.g. "X-Hasura-Admin-Secret: ..."`)
	f.StringVar(&variables, "variables", "", "variables (JSON object)")
	f.IntVarP(&count, "count", "n", 0, "stop after this many results (0: until the server completes or Ctrl-C)")
	return cmd
}

// websocketURL turns the HTTP endpoint into its WebSocket form.
func websocketURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("--url: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("--url %q: want an http(s):// or ws(s):// URL", endpoint)
	}
	return u.String(), nil
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe speaks graphql-transport-ws: connection_init with the headers,
// one subscribe, then each next payload is written to out as a line.
func subscribe(ctx context.Context, wsURL string, headers map[string]string, payload map[string]any, count int, out io.Writer) error {
	dialer := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
	conn, resp, err := dialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("connect to %s: %w (HTTP %s)", wsURL, err, resp.Status)
		}
		return fmt.Errorf("connect to %s: %w", wsURL, err)
	}
	defer conn.Close()
	// Reads block without a context: closing the socket ends them on Ctrl-C.
	defer context.AfterFunc(ctx, func() { conn.Close() })()

	send := func(typ, id string, p any) error {
		raw, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode %s: %w", typ, err)
		}
		if p == nil {
			raw = nil
		}
		return conn.WriteJSON(wsMessage{ID: id, Type: typ, Payload: raw})
	}
	if err := send("connection_init", "", map[string]any{"headers": headers}); err != nil {
		return fmt.Errorf("send connection_init: %w", err)
	}
	subscribed, results := false, 0
	for {
		var m wsMessage
		if err := conn.ReadJSON(&m); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the results so far are the output
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return fmt.Errorf("the server closed the connection: %d %s", ce.Code, ce.Text)
			}
			return fmt.Errorf("read: %w", err)
		}
		switch m.Type {
		case "connection_ack":
			if !subscribed {
				subscribed = true
				if err := send("subscribe", "1", payload); err != nil {
					return fmt.Errorf("send subscribe: %w", err)
				}
			}
		case "ping":
			if err := send("pong", "", nil); err != nil {
				return fmt.Errorf("send pong: %w", err)
			}
		case "next":
			var line bytes.Buffer
			if err := json.Compact(&line, m.Payload); err != nil {
				return fmt.Errorf("next: %w", err)
			}
			line.WriteByte('\n')
			if _, err := out.Write(line.Bytes()); err != nil {
				return err
			}
			if results++; count > 0 && results >= count {
				_ = send("complete", "1", nil)
				_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
				return nil
			}
		case "error":
			return fmt.Errorf("subscription error: %s", m.Payload)
		case "complete":
			return nil
		}
	}
}
