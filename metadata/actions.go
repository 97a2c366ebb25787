package metadata

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// ActionMeta is one stored action: its definition is kept as given, so
// export_metadata returns what create_action received.
type ActionMeta struct {
	Name        string             `json:"name"`
	Definition  json.RawMessage    `json:"definition"`
	Comment     *string            `json:"comment,omitempty"`
	Permissions []ActionPermission `json:"permissions,omitempty"`
}

// ActionPermission lets a role call an action.
type ActionPermission struct {
	Role    string  `json:"role"`
	Comment *string `json:"comment,omitempty"`
}

// actionDefinition is the definition as Hasura's ActionDefinitionInput reads it.
type actionDefinition struct {
	Type      string `json:"type"`
	Kind      string `json:"kind"`
	Arguments []struct {
		Name        string  `json:"name"`
		Type        string  `json:"type"`
		Description *string `json:"description"`
	} `json:"arguments"`
	OutputType           string          `json:"output_type"`
	Handler              string          `json:"handler"`
	Headers              []ActionHeader  `json:"headers"`
	ForwardClientHeaders bool            `json:"forward_client_headers"`
	Timeout              *int            `json:"timeout"`
	RequestTransform     json.RawMessage `json:"request_transform"`
	ResponseTransform    json.RawMessage `json:"response_transform"`
}

// ActionHeader is a configured header: a value or an env variable's value.
type ActionHeader struct {
	Name         string `json:"name"`
	Value        string `json:"value,omitempty"`
	ValueFromEnv string `json:"value_from_env,omitempty"`
}

// Action is an action resolved against custom types, ready to serve.
type Action struct {
	Name                                string
	Comment                             *string
	Mutation                            bool // type: mutation (the default), else query
	Async                               bool // kind: asynchronous
	Arguments                           []ActionArgument
	Output                              *TypeRef
	Handler                             string // may hold {{ENV}} templates, resolved per call
	Headers                             []ActionHeader
	ForwardClientHeaders                bool
	Timeout                             time.Duration
	RequestTransform, ResponseTransform json.RawMessage
	Roles                               map[string]bool // roles with a permission
	// Definition is the stored definition, for error details.
	Definition json.RawMessage
	compiled   *actionTransforms // see Transforms
}

// ActionArgument is one argument of an action.
type ActionArgument struct {
	Name        string
	Type        *TypeRef
	Description *string
}

// DefaultActionTimeout is Hasura's default action timeout (30 s).
const DefaultActionTimeout = 30 * time.Second

// Actions reads the stored actions.
func (md *Metadata) ActionList() ([]ActionMeta, error) {
	var list []ActionMeta
	if !isSet(md.Actions) {
		return nil, nil
	}
	if err := json.Unmarshal(md.Actions, &list); err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	return list, nil
}

// parseActionDefinition reads a definition; errors are Hasura's
// parse-failed with the path under $.definition.
func parseActionDefinition(raw json.RawMessage) (*actionDefinition, error) {
	var d actionDefinition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.definition", Message: err.Error()}
	}
	for i, h := range d.Headers {
		if strings.HasPrefix(h.ValueFromEnv, "HASURA_GRAPHQL_") {
			return nil, &APIError{Status: 400, Code: "parse-failed", Path: fmt.Sprintf("$.definition.headers[%d]", i),
				Message: `env variables start with "HASURA_GRAPHQL_" are not allowed for value_from_env`}
		}
	}
	switch d.Kind {
	case "", "synchronous", "asynchronous":
	default:
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.definition.kind",
			Message: "expected one of synchronous, asynchronous but encountered " + d.Kind}
	}
	switch d.Type {
	case "", "mutation", "query":
	default:
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.definition.type",
			Message: "expected one of mutation, query but encountered " + d.Type}
	}
	if d.Type == "query" && d.Kind == "asynchronous" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.definition",
			Message: "only actions of type mutation can be asynchronous"}
	}
	if d.Handler == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.definition.handler", Message: "handler is missing"}
	}
	return &d, nil
}

// envTemplate matches {{VAR}} in a handler URL.
var envTemplate = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// ResolveTemplate replaces {{VAR}} with the environment's value; a
// variable that is not set is an error naming it.
func ResolveTemplate(s string) (string, error) {
	var missing []string
	out := envTemplate.ReplaceAllStringFunc(s, func(m string) string {
		name := envTemplate.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable '%s' not set", strings.Join(missing, "', '"))
	}
	return out, nil
}

// resolveAction checks an action against the custom types; errors are the
// reasons Hasura gives for an inconsistent action.
func resolveAction(am *ActionMeta, ct *CustomTypes) (*Action, error) {
	d, err := parseActionDefinition(am.Definition)
	if err != nil {
		return nil, err
	}
	a := &Action{Name: am.Name, Comment: am.Comment, Mutation: d.Type != "query", Async: d.Kind == "asynchronous",
		Handler: d.Handler, Headers: d.Headers, ForwardClientHeaders: d.ForwardClientHeaders, Timeout: DefaultActionTimeout,
		RequestTransform: d.RequestTransform, ResponseTransform: d.ResponseTransform, Roles: map[string]bool{}, Definition: am.Definition}
	a.compiled = &actionTransforms{compileActionTransforms(d.RequestTransform), CompileResponseTransform(d.ResponseTransform)}
	if d.Timeout != nil && *d.Timeout > 0 {
		a.Timeout = time.Duration(*d.Timeout) * time.Second
	}
	for _, p := range am.Permissions {
		a.Roles[p.Role] = true
	}
	for _, arg := range d.Arguments {
		ref, err := ParseTypeRef(arg.Type)
		if err != nil {
			return nil, err
		}
		if b := ref.Base(); ct.Object(b) != nil {
			return nil, fmt.Errorf("the type: %q is not defined in custom types or it is not a scalar/enum/input_object", b)
		}
		a.Arguments = append(a.Arguments, ActionArgument{Name: arg.Name, Type: ref, Description: arg.Description})
	}
	if a.Output, err = ParseTypeRef(d.OutputType); err != nil {
		return nil, err
	}
	out := a.Output.Base()
	if ct.InputObject(out) != nil {
		return nil, fmt.Errorf("the type: %q is not an object or scalar type defined in custom types", out)
	}
	if o := ct.Object(out); o != nil && a.Async && len(o.Relationships) > 0 {
		var nested []string
		for _, f := range o.Fields {
			if ct.Object(f.Ref.Base()) != nil {
				nested = append(nested, fmt.Sprintf("%q", f.Name))
			}
		}
		if len(nested) > 0 {
			return nil, fmt.Errorf("Async action relations cannot be used with object fields : %s", strings.Join(nested, ", "))
		}
	}
	if _, err := ResolveTemplate(a.Handler); err != nil {
		return nil, err
	}
	return a, nil
}

// resolveActions adds the custom types and actions to s; what does not
// resolve is reported inconsistent and left out.
func (s *Snapshot) resolveActions(md *Metadata) {
	ct, err := parseCustomTypes(md.CustomTypes)
	if err != nil {
		ct = &CustomTypes{}
	} else {
		// The types stay served; a relationship that does not resolve is left out.
		err = ct.resolveRelationships(s)
	}
	if err != nil {
		s.addInconsistent("custom_types", "custom_types", "Inconsistent object: "+err.Error(), md.CustomTypes, QualifiedName{}, "")
	}
	s.CustomTypes = ct
	list, err := md.ActionList()
	if err != nil {
		s.addInconsistent("action", "actions", err.Error(), md.Actions, QualifiedName{}, "")
		return
	}
	for i := range list {
		a, err := resolveAction(&list[i], ct)
		if err != nil {
			s.addInconsistent("action", list[i].Name, actionReason(list[i].Name, err), list[i], QualifiedName{}, list[i].Name)
			continue
		}
		s.Actions = append(s.Actions, a)
	}
}

func actionReason(name string, err error) string {
	msg := err.Error()
	if ae, ok := err.(*APIError); ok {
		msg = ae.Message
	}
	return fmt.Sprintf("Inconsistent object: in action %q; %s", name, msg)
}

// Action returns a consistent action by name, or nil.
func (s *Snapshot) Action(name string) *Action {
	for _, a := range s.Actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// TransformedRequest is a request after a request_transform.
type TransformedRequest struct {
	URL, Method   string
	AddHeaders    [][2]string
	RemoveHeaders []string
	Body          any
	BodyTransform bool // the body was transformed (or removed: Body nil)
}

// ApplyRequestTransform applies a request_transform, parsing it on each
// call; see RequestTransform.Apply.
func ApplyRequestTransform(transform json.RawMessage, base string, body any, env map[string]any) (*TransformedRequest, error) {
	return CompileRequestTransform(transform).Apply(base, body, env)
}

// Transforms returns the action's request and response transforms, parsed
// when the snapshot resolved the action (nil: none).
func (a *Action) Transforms() (*RequestTransform, *ResponseTransform) {
	if a.compiled == nil {
		return compileActionTransforms(a.RequestTransform), CompileResponseTransform(a.ResponseTransform)
	}
	return a.compiled.request, a.compiled.response
}

// actionTransforms are an action's transforms, parsed once.
type actionTransforms struct {
	request  *RequestTransform
	response *ResponseTransform
}

func compileActionTransforms(raw json.RawMessage) *RequestTransform {
	if len(raw) == 0 {
		return nil
	}
	return CompileRequestTransform(raw)
}
