package remotegql

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestPythonTransportRules(t *testing.T) {
	srv, err := StartPython(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	call := func(method, path, contentType, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	q := `{"query":"{ hello(arg: \"me\") }"}`
	if st, body, _ := call("POST", "/hello-graphql", "application/json", q); st != 200 || body != "{\"data\":{\"hello\":\"Hello me\"}}\n" {
		t.Fatalf("hello: %d %q", st, body)
	}
	if st, body, _ := call("GET", "/hello-graphql", "", ""); st != 405 || body != "" {
		t.Fatalf("GET: %d %q", st, body)
	}
	if st, _, _ := call("POST", "/hello-graphql", "text/plain", q); st != 400 {
		t.Fatalf("text/plain: %d", st)
	}
	if st, body, _ := call("POST", "/nope", "application/json", q); st != 404 || body != "<h1> Not Found </h1>" {
		t.Fatalf("unknown path: %d %q", st, body)
	}
	if st, body, _ := call("GET", "/hello", "", ""); st != 200 || body != "hello world" {
		t.Fatalf("/hello: %d %q", st, body)
	}
	if _, _, h := call("POST", "/auth-graphql", "application/json", q); h.Get("Set-Cookie") != "abcd" || h.Get("Custom-Header") != "custom-value" {
		t.Fatalf("auth headers %v", h)
	}
	_, body, _ := call("POST", "/iface-graphql-err-empty-field-list", "application/json",
		`{"query":"{ __schema { types { kind name fields { name } } } }"}`)
	var res struct {
		Data struct {
			Schema struct {
				Types []struct {
					Kind   string
					Name   string
					Fields []any
				}
			} `json:"__schema"`
		}
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	for _, ty := range res.Data.Schema.Types {
		if ty.Name == "Character" && len(ty.Fields) != 0 {
			t.Fatalf("interface still has fields: %s", body)
		}
	}
}

func TestPermsMessagesFilter(t *testing.T) {
	got, err := filterMessages(permMessages, map[string]any{"id": map[string]any{"gt": 1}}, map[string]any{"name": []any{"alice"}})
	if err != nil || len(got) != 1 || got[0].ID != 3 {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := filterMessages(permMessages, map[string]any{"id": map[string]any{"ne": 1}}, nil); err == nil {
		t.Fatal("an unknown operator was accepted")
	}
}
