package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Hasura's CLI splits actions and custom types between two files:
// actions.graphql holds what SDL can say (operation, arguments, output type,
// fields, enum values, descriptions), actions.yaml the rest (handler, kind,
// headers, timeout, transforms, permissions, comment, relationships).

// sdlKeys are the action definition keys that live in actions.graphql.
var sdlKeys = map[string]bool{"type": true, "arguments": true, "output_type": true}

// definitionKeyOrder is the order of the definition keys Hasura's CLI
// writes in actions.yaml; any other key follows in the server's order.
var definitionKeyOrder = []string{"kind", "handler", "forward_client_headers", "headers", "timeout", "request_transform", "response_transform"}

// exportActions splits exported actions and custom types into the
// actions.yaml document and the actions.graphql text.
func exportActions(actions, custom *yaml.Node) (*yaml.Node, string, error) {
	var defs []struct {
		Name       string `json:"name"`
		Definition struct {
			Type       string     `json:"type"`
			Arguments  []sdlInput `json:"arguments"`
			OutputType string     `json:"output_type"`
		} `json:"definition"`
	}
	if err := decodeNodeInto(actions, &defs); err != nil {
		return nil, "", fmt.Errorf("exported actions: %w", err)
	}
	var sdlActions []sdlAction
	for _, d := range defs {
		sdlActions = append(sdlActions, sdlAction{Name: d.Name, Type: d.Definition.Type, Arguments: d.Definition.Arguments, OutputType: d.Definition.OutputType})
	}
	var types []sdlType
	for _, kind := range customTypeKindsSDL {
		var list []sdlType
		if err := decodeNodeInto(get(custom, kind), &list); err != nil {
			return nil, "", fmt.Errorf("exported custom_types.%s: %w", kind, err)
		}
		for _, t := range list {
			t.Kind = kind
			types = append(types, t)
		}
	}

	yamlActions := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, a := range actions.Content {
		def := get(a, "definition")
		kept := reorder(def, definitionKeyOrder, sdlKeys)
		name := get(a, "name")
		if name == nil {
			return nil, "", fmt.Errorf("an exported action has no name")
		}
		out := mapNode("name", name, "definition", kept)
		appendRest(out, a, "name", "definition")
		yamlActions.Content = append(yamlActions.Content, reorder(out, []string{"name", "definition", "permissions", "comment"}, nil))
	}
	yamlTypes := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, kind := range customTypeKindsSDL {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if src := get(custom, kind); src != nil {
			for _, t := range src.Content {
				list.Content = append(list.Content, reorder(t, []string{"name", "description", "values", "relationships"}, map[string]bool{"fields": true}))
			}
		}
		yamlTypes.Content = append(yamlTypes.Content, strNode(kind), list)
	}
	appendRest(yamlTypes, custom, customTypeKindsSDL...)
	return mapNode("actions", yamlActions, "custom_types", yamlTypes), renderActionsSDL(sdlActions, types), nil
}

// UnmarshalJSON reads a custom type as custom_types lists it.
func (t *sdlType) UnmarshalJSON(b []byte) error {
	var v struct {
		Name        string         `json:"name"`
		Description *string        `json:"description"`
		Fields      []sdlInput     `json:"fields"`
		Values      []sdlEnumValue `json:"values"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = sdlType{Name: v.Name, Description: v.Description, Fields: v.Fields, Values: v.Values}
	return nil
}

// buildActions merges actions.graphql with actions.yaml into the actions
// and custom_types of the metadata, as Hasura's CLI does: the SDL gives the
// actions (in its order) and types, actions.yaml each action's handler,
// kind, permissions and the rest, and each type's description and
// relationships. An action or type in actions.yaml but not in the SDL is
// an error, as an action in the SDL without its actions.yaml entry.
func buildActions(sdlFile, sdl, yamlFile string, yamlJSON []byte) ([][2]string, error) {
	sdlActions, types, err := parseActionsSDL(sdlFile, sdl)
	if err != nil {
		return nil, err
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(yamlJSON) > 0 && !isEmptyJSON(yamlJSON) {
		if doc, err = jsonToNode(yamlJSON); err != nil {
			return nil, fmt.Errorf("%s: %w", yamlFile, err)
		}
	}
	byName := map[string]*yaml.Node{}
	if list := get(doc, "actions"); list != nil {
		for _, a := range list.Content {
			byName[scalar(get(a, "name"))] = a
		}
	}
	inSDL := map[string]bool{}
	outActions := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, a := range sdlActions {
		inSDL[a.Name] = true
		y := byName[a.Name]
		if y == nil {
			return nil, fmt.Errorf("%s:%d: action %s has no entry in %s (its handler and kind)", sdlFile, a.line, a.Name, yamlFile)
		}
		def := reorder(get(y, "definition"), nil, sdlKeys)
		args, err := valueNode(a.Arguments)
		if err != nil {
			return nil, err
		}
		def.Content = append(def.Content, strNode("type"), strNode(a.Type), strNode("arguments"), args, strNode("output_type"), strNode(a.OutputType))
		out := mapNode("name", strNode(a.Name), "definition", def)
		appendRest(out, y, "name", "definition")
		outActions.Content = append(outActions.Content, out)
	}
	if list := get(doc, "actions"); list != nil {
		for _, a := range list.Content {
			if name := scalar(get(a, "name")); !inSDL[name] {
				return nil, fmt.Errorf("%s: action %s is not present in %s", yamlFile, name, sdlFile)
			}
		}
	}
	outTypes, err := mergeTypes(types, get(doc, "custom_types"), sdlFile, yamlFile)
	if err != nil {
		return nil, err
	}
	var parts [][2]string
	for _, kv := range []struct {
		key string
		n   *yaml.Node
	}{{"actions", outActions}, {"custom_types", outTypes}} {
		if len(kv.n.Content) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := nodeToJSON(&buf, kv.n, nil); err != nil {
			return nil, err
		}
		parts = append(parts, [2]string{kv.key, buf.String()})
	}
	return parts, nil
}

// mergeTypes builds custom_types from the SDL's types, taking description
// (when given), relationships and any other key from actions.yaml.
func mergeTypes(types []sdlType, yamlTypes *yaml.Node, sdlFile, yamlFile string) (*yaml.Node, error) {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, kind := range customTypeKindsSDL {
		fromYAML := map[string]*yaml.Node{}
		if list := get(yamlTypes, kind); list != nil {
			for _, t := range list.Content {
				fromYAML[scalar(get(t, "name"))] = t
			}
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, t := range types {
			if t.Kind != kind {
				continue
			}
			y := fromYAML[t.Name]
			delete(fromYAML, t.Name)
			n := mapNode("name", strNode(t.Name))
			if d := get(y, "description"); d != nil {
				n.Content = append(n.Content, strNode("description"), d)
			} else if t.Description != nil {
				n.Content = append(n.Content, strNode("description"), strNode(*t.Description))
			}
			switch kind {
			case "enums":
				values, err := mergeEnumValues(t.Values, get(y, "values"))
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode("values"), values)
			case "input_objects", "objects":
				fields, err := valueNode(t.Fields)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode("fields"), fields)
			}
			appendRest(n, y, "name", "description", "values", "fields")
			list.Content = append(list.Content, n)
		}
		if list := get(yamlTypes, kind); list != nil {
			for _, t := range list.Content {
				if name := scalar(get(t, "name")); fromYAML[name] != nil {
					return nil, fmt.Errorf("%s: custom type %s (%s) is not present in %s", yamlFile, name, kind, sdlFile)
				}
			}
		}
		if len(list.Content) > 0 {
			out.Content = append(out.Content, strNode(kind), list)
		}
	}
	return out, nil
}

// mergeEnumValues takes the SDL's values, keeping what actions.yaml adds
// to a value the SDL cannot say (is_deprecated).
func mergeEnumValues(values []sdlEnumValue, yamlValues *yaml.Node) (*yaml.Node, error) {
	extra := map[string]*yaml.Node{}
	if yamlValues != nil {
		for _, v := range yamlValues.Content {
			extra[scalar(get(v, "value"))] = v
		}
	}
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, v := range values {
		n, err := valueNode(v)
		if err != nil {
			return nil, err
		}
		appendRest(n, extra[v.Value], "value", "description")
		out.Content = append(out.Content, n)
	}
	return out, nil
}

// reorder copies mapping m with the keys of first first (when present),
// then the others in m's order, leaving out drop.
func reorder(m *yaml.Node, first []string, drop map[string]bool) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if m == nil || m.Kind != yaml.MappingNode {
		return out
	}
	for _, k := range first {
		if v := get(m, k); v != nil && !drop[k] {
			out.Content = append(out.Content, strNode(k), v)
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if !drop[k] && !contains(first, k) {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	return out
}

// appendRest appends to out the keys of src other than skip.
func appendRest(out, src *yaml.Node, skip ...string) {
	if src == nil || src.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(src.Content); i += 2 {
		if !contains(skip, src.Content[i].Value) {
			out.Content = append(out.Content, src.Content[i], src.Content[i+1])
		}
	}
}

// valueNode converts a Go value to a YAML node through its JSON.
func valueNode(v any) (*yaml.Node, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonToNode(b)
}

// decodeNodeInto decodes a YAML node (nil: nothing) into v through JSON.
func decodeNodeInto(n *yaml.Node, v any) error {
	if n == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := nodeToJSON(&buf, n, nil); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), v)
}
