package metadata

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"sort"
)

// transformArgs are test_webhook_transform's arguments.
type transformArgs struct {
	WebhookURL       json.RawMessage   `json:"webhook_url"`
	Body             json.RawMessage   `json:"body"`
	Env              map[string]string `json:"env"`
	SessionVariables map[string]any    `json:"session_variables"`
	RequestTransform struct {
		Version        int             `json:"version"`
		URL            *string         `json:"url"`
		Method         *string         `json:"method"`
		QueryParams    json.RawMessage `json:"query_params"`
		Body           json.RawMessage `json:"body"`
		TemplateEngine string          `json:"template_engine"`
		RequestHeaders *struct {
			AddHeaders    map[string]string `json:"add_headers"`
			RemoveHeaders []string          `json:"remove_headers"`
		} `json:"request_headers"`
	} `json:"request_transform"`
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
	res, err := a.apply(base, body, env)
	var ke *kritiError
	if errors.As(err, &ke) {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args",
			Message: "request transform validation failed", Internal: []any{ke.item()}}
	}
	if err != nil {
		return nil, err
	}
	if res["body"] == nil && a.removesBody() {
		// Hasura previews the request it would send, whose body is then
		// empty, and shows an empty body as "".
		res["body"] = ""
	}
	if err := a.checkResponseTransform(); errors.As(err, &ke) {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args",
			Message: "response transform validation failed", Internal: []any{ke.item()}}
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
		return checkKriti(tmpl)
	}
	var v2 struct {
		Action   string `json:"action"`
		Template string `json:"template"`
	}
	if json.Unmarshal(a.ResponseTransform.Body, &v2) == nil && v2.Action == "transform" {
		return checkKriti(v2.Template)
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

func (a *transformArgs) apply(base string, body any, env map[string]any) (map[string]any, error) {
	rt := &a.RequestTransform
	target := base
	if rt.URL != nil {
		var err error
		if target, err = kritiInterpolate(*rt.URL, env); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args", Message: "invalid URL " + target + ": " + err.Error()}
	}
	if rt.URL == nil && u.Path == "" {
		u.Path = "/" // as Hasura prints an untransformed URL
	}
	if len(rt.QueryParams) > 0 {
		q, err := queryParams(rt.QueryParams, env)
		if err != nil {
			return nil, err
		}
		u.RawQuery = q
	}
	method := "GET"
	if rt.Method != nil {
		method = *rt.Method
	}
	headers := [][]string{}
	if h := rt.RequestHeaders; h != nil {
		removed := map[string]bool{}
		for _, n := range h.RemoveHeaders {
			removed[n] = true
		}
		for n, tmpl := range h.AddHeaders {
			if removed[n] {
				continue
			}
			v, err := kritiInterpolate(tmpl, env)
			if err != nil {
				return nil, err
			}
			headers = append(headers, []string{n, v})
		}
		sort.Slice(headers, func(i, j int) bool { return headers[i][0] < headers[j][0] })
	}
	out, err := a.transformBody(body, env)
	if err != nil {
		return nil, err
	}
	return map[string]any{"webhook_url": u.String(), "method": method, "headers": headers, "body": out}, nil
}

// transformBody applies the body transform, for requests and responses
// alike (TransformBody): version 1 gives the template itself; version 2
// gives {action: remove|transform, template}, where remove gives nil: no
// body.
func (a *transformArgs) transformBody(body any, env map[string]any) (any, error) {
	raw := a.RequestTransform.Body
	if len(raw) == 0 || string(raw) == "null" {
		return body, nil
	}
	var tmpl string
	if json.Unmarshal(raw, &tmpl) == nil {
		return evalKriti(tmpl, env)
	}
	var v2 struct {
		Action   string `json:"action"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &v2); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.body", Message: err.Error()}
	}
	switch v2.Action {
	case "remove":
		return nil, nil // Hasura sends no body
	case "transform":
		return evalKriti(v2.Template, env)
	}
	return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.body.action",
		Message: `expected "remove" or "transform"`}
}

// removesBody tells whether the request transform's body action is remove.
func (a *transformArgs) removesBody() bool {
	var v2 struct {
		Action string `json:"action"`
	}
	return json.Unmarshal(a.RequestTransform.Body, &v2) == nil && v2.Action == "remove"
}

// queryParams renders query_params, an object of value templates or one
// template for the whole query string, in key order.
func queryParams(raw json.RawMessage, env map[string]any) (string, error) {
	var whole string
	if json.Unmarshal(raw, &whole) == nil {
		return kritiInterpolate(whole, env)
	}
	var params map[string]*string
	if err := json.Unmarshal(raw, &params); err != nil {
		return "", &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.query_params", Message: err.Error()}
	}
	q := url.Values{}
	for k, tmpl := range params {
		if tmpl == nil {
			continue
		}
		v, err := kritiInterpolate(*tmpl, env)
		if err != nil {
			return "", err
		}
		q.Set(k, v)
	}
	return q.Encode(), nil
}
