package metadata

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/graftql/graft/kriti"
)

// Request and response transforms with their Kriti templates parsed once:
// when the snapshot resolves an action (resolveAction), so a call only
// evaluates them. A template that does not parse keeps its error, which
// the call reports where the template is applied, in the order an
// unparsed transform reported it (url, query, headers, body).

// requestSpec is a request_transform's metadata JSON.
type requestSpec struct {
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
}

// template is a parsed template, or the error parsing it gave.
type template struct {
	t   *kriti.Template
	err error
}

func valueTemplate(src string) template {
	t, err := kriti.Parse(src)
	return template{t, err}
}

func textTemplate(src string) template {
	t, err := kriti.ParseText(src)
	return template{t, err}
}

func (t template) eval(env map[string]any) (any, error) {
	if t.err != nil {
		return nil, t.err
	}
	return t.t.Eval(env)
}

func (t template) text(env map[string]any) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	return t.t.EvalText(env)
}

// namedTemplate is a header's or query parameter's value template.
type namedTemplate struct {
	name string
	tmpl template
}

// RequestTransform is a request_transform ready to apply.
type RequestTransform struct {
	spec      requestSpec
	decodeErr error
	url       *template
	query     *template       // query_params given as one template, or
	params    []namedTemplate // as an object of value templates, by name
	queryErr  error
	headers   []namedTemplate // added headers not also removed, by name
	body      bodyTransform
}

// CompileRequestTransform parses a request_transform's templates; a
// malformed transform fails when applied.
func CompileRequestTransform(raw json.RawMessage) *RequestTransform {
	var spec requestSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return &RequestTransform{decodeErr: fmt.Errorf("request_transform: %w", err)}
	}
	return compileRequest(spec)
}

func compileRequest(spec requestSpec) *RequestTransform {
	rt := &RequestTransform{spec: spec, body: compileBody(spec.Body)}
	if spec.URL != nil {
		t := textTemplate(*spec.URL)
		rt.url = &t
	}
	if raw := spec.QueryParams; len(raw) > 0 {
		var whole string
		var params map[string]*string
		if json.Unmarshal(raw, &whole) == nil {
			t := textTemplate(whole)
			rt.query = &t
		} else if err := json.Unmarshal(raw, &params); err != nil {
			rt.queryErr = &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.query_params", Message: err.Error()}
		} else {
			for k, v := range params {
				if v != nil {
					rt.params = append(rt.params, namedTemplate{k, textTemplate(*v)})
				}
			}
			sort.Slice(rt.params, func(i, j int) bool { return rt.params[i].name < rt.params[j].name })
		}
	}
	if h := spec.RequestHeaders; h != nil {
		removed := map[string]bool{}
		for _, n := range h.RemoveHeaders {
			removed[n] = true
		}
		for n, v := range h.AddHeaders {
			if !removed[n] {
				rt.headers = append(rt.headers, namedTemplate{n, textTemplate(v)})
			}
		}
		sort.Slice(rt.headers, func(i, j int) bool { return rt.headers[i].name < rt.headers[j].name })
	}
	return rt
}

// preview is a transformed request as test_webhook_transform shows it.
type preview struct {
	url, method string
	headers     [][]string
	body        any
}

// preview applies the transform to a request of body to base; the method
// is GET unless the transform sets one, as Hasura's preview shows it.
func (rt *RequestTransform) preview(base string, body any, env map[string]any) (*preview, error) {
	if rt.decodeErr != nil {
		return nil, rt.decodeErr
	}
	target := base
	if rt.url != nil {
		var err error
		if target, err = rt.url.text(env); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, &APIError{Status: 400, Code: "validation-failed", Path: "$.args", Message: "invalid URL " + target + ": " + err.Error()}
	}
	if rt.url == nil && u.Path == "" {
		u.Path = "/" // as Hasura prints an untransformed URL
	}
	if len(rt.spec.QueryParams) > 0 {
		if u.RawQuery, err = rt.queryString(env); err != nil {
			return nil, err
		}
	}
	out := &preview{method: "GET", headers: [][]string{}}
	if rt.spec.Method != nil {
		out.method = *rt.spec.Method
	}
	for _, h := range rt.headers {
		v, err := h.tmpl.text(env)
		if err != nil {
			return nil, err
		}
		out.headers = append(out.headers, []string{h.name, v})
	}
	if out.body, err = rt.body.apply(body, env); err != nil {
		return nil, err
	}
	out.url = u.String()
	return out, nil
}

// queryString renders query_params: one template for the whole query
// string, or the parameters' values, in key order.
func (rt *RequestTransform) queryString(env map[string]any) (string, error) {
	if rt.queryErr != nil {
		return "", rt.queryErr
	}
	if rt.query != nil {
		return rt.query.text(env)
	}
	q := url.Values{}
	for _, p := range rt.params {
		v, err := p.tmpl.text(env)
		if err != nil {
			return "", err
		}
		q.Set(p.name, v)
	}
	return q.Encode(), nil
}

// Apply applies the transform (Kriti templates over env: $body,
// $session_variables, $base_url) to a POST of body to base: url, method,
// query params, headers and body, as test_webhook_transform previews it;
// the method stays POST unless the transform sets one.
func (rt *RequestTransform) Apply(base string, body any, env map[string]any) (*TransformedRequest, error) {
	p, err := rt.preview(base, body, env)
	if err != nil {
		return nil, err
	}
	out := &TransformedRequest{URL: p.url, Method: http.MethodPost, Body: p.body, BodyTransform: rt.body.set}
	if rt.spec.Method != nil {
		out.Method = *rt.spec.Method
	}
	if rt.spec.URL == nil && len(rt.spec.QueryParams) == 0 {
		out.URL = base // untouched, not normalized
	}
	for _, h := range p.headers {
		out.AddHeaders = append(out.AddHeaders, [2]string{h[0], h[1]})
	}
	if h := rt.spec.RequestHeaders; h != nil {
		out.RemoveHeaders = h.RemoveHeaders
	}
	return out, nil
}
