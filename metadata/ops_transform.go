package metadata

import (
	"encoding/json"
	"errors"
	"os"

	"github.com/graftql/graft/kriti"
)

// transformArgs are test_webhook_transform's arguments.
type transformArgs struct {
	WebhookURL        json.RawMessage   `json:"webhook_url"`
	Body              json.RawMessage   `json:"body"`
	Env               map[string]string `json:"env"`
	SessionVariables  map[string]any    `json:"session_variables"`
	RequestTransform  requestSpec       `json:"request_transform"`
	ResponseTransform *struct {
		Body json.RawMessage `json:"body"`
	} `json:"response_transform"`
}

// opTestWebhookTransform applies a request transform to a sample request
// and returns the request that would be sent, as Hasura does for the
// console's transform preview. Template failures are validation errors
// listing Kriti's error items.
func opTestWebhookTransform(w *work, r *Request) (any, error) {
	var a transformArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	base, err := a.webhookURL()
	if err != nil {
		return nil, err
	}
	var body any
	if len(a.Body) > 0 {
		_ = json.Unmarshal(a.Body, &body)
	}
	env := map[string]any{"body": body, "base_url": base, "session_variables": anyMap(a.SessionVariables), "query_params": map[string]any{}}
	rt := compileRequest(a.RequestTransform)
	p, err := rt.preview(base, body, env)
	var ke *kriti.Error
	if errors.As(err, &ke) {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args",
			Message: "request transform validation failed", Internal: []any{ke.Item()}}
	}
	if err != nil {
		return nil, err
	}
	res := map[string]any{"webhook_url": p.url, "method": p.method, "headers": p.headers, "body": p.body}
	if p.body == nil && rt.body.remove {
		// Hasura previews the request it would send, whose body is then
		// empty, and shows an empty body as "".
		res["body"] = ""
	}
	if err := a.checkResponseTransform(); errors.As(err, &ke) {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args",
			Message: "response transform validation failed", Internal: []any{ke.Item()}}
	}
	return res, nil
}

// checkResponseTransform checks the response body template's syntax; with
// no response to apply it to, that is all Hasura checks too.
func (a *transformArgs) checkResponseTransform() error {
	if a.ResponseTransform == nil || len(a.ResponseTransform.Body) == 0 {
		return nil
	}
	var tmpl string
	if json.Unmarshal(a.ResponseTransform.Body, &tmpl) == nil {
		return valueTemplate(tmpl).err
	}
	var v2 struct {
		Action   string `json:"action"`
		Template string `json:"template"`
	}
	if json.Unmarshal(a.ResponseTransform.Body, &v2) == nil && v2.Action == "transform" {
		return valueTemplate(v2.Template).err
	}
	return nil
}

func anyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// webhookURL resolves webhook_url: a string, or {from_env} looked up in the
// request's env first, then in Graft's environment.
func (a *transformArgs) webhookURL() (string, error) {
	var s string
	if json.Unmarshal(a.WebhookURL, &s) == nil {
		return s, nil
	}
	var ref struct {
		FromEnv string `json:"from_env"`
	}
	if json.Unmarshal(a.WebhookURL, &ref) != nil || ref.FromEnv == "" {
		return "", &APIError{Status: 400, Code: "parse-failed", Path: "$.args.webhook_url", Message: "expected a string or {from_env}"}
	}
	if v, ok := a.Env[ref.FromEnv]; ok {
		return v, nil
	}
	if v, ok := os.LookupEnv(ref.FromEnv); ok {
		return v, nil
	}
	return "", &APIError{Status: 400, Code: "not-exists", Path: "$.args.webhook_url",
		Message: "environment variable " + ref.FromEnv + " not set"}
}
