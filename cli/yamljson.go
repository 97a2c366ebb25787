package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The metadata files are YAML written from the server's JSON. Converting
// through yaml.Node, never through Go maps, keeps the server's key order, so
// export -> apply -> export writes the same bytes.

// jsonToNode converts a JSON document into a YAML node in block style.
func jsonToNode(raw []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err != nil {
		return nil, fmt.Errorf("convert JSON to YAML: %w", err)
	}
	return n, nil
}

func decodeNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode(k.(string)), v)
			}
			_, err := dec.Token() // '}'
			return n, err
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for dec.More() {
			v, err := decodeNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		_, err := dec.Token() // ']'
		return n, err
	case string:
		return strNode(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// encodeYAML writes n as Hasura's CLI does: two-space indent.
func encodeYAML(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseYAML reads one YAML document; an empty file is a null node.
func parseYAML(raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return doc.Content[0], nil
}

// nodeToJSON writes n as JSON in node order; include resolves !include
// scalars (the quoted "!include file" string Hasura writes, or the tag).
func nodeToJSON(w *bytes.Buffer, n *yaml.Node, include func(n *yaml.Node, file string) error) error {
	switch n.Kind {
	case yaml.AliasNode:
		return nodeToJSON(w, n.Alias, include)
	case yaml.MappingNode:
		w.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				w.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			w.Write(k)
			w.WriteByte(':')
			if err := nodeToJSON(w, n.Content[i+1], include); err != nil {
				return err
			}
		}
		w.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := nodeToJSON(w, c, include); err != nil {
				return err
			}
		}
		w.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		if file, ok := includeTarget(n); ok && include != nil {
			return include(n, file)
		}
		return scalarToJSON(w, n)
	}
	return fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

func includeTarget(n *yaml.Node) (string, bool) {
	if n.Tag == "!include" {
		return strings.TrimSpace(n.Value), true
	}
	if n.ShortTag() == "!!str" && strings.HasPrefix(n.Value, "!include ") {
		return strings.TrimSpace(strings.TrimPrefix(n.Value, "!include ")), true
	}
	return "", false
}

func scalarToJSON(w *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		w.WriteString("null")
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		if n.ShortTag() != "!!bool" && isJSONNumber(n.Value) {
			w.WriteString(n.Value) // keep the digits as written
			return nil
		}
		b, _ := json.Marshal(v)
		w.Write(b)
	default:
		b, _ := json.Marshal(n.Value)
		w.Write(b)
	}
	return nil
}

func isJSONNumber(s string) bool {
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

// yamlLineError finds the line of a yaml.v3 error: its messages start with "yaml: line N:".
func yamlLineError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) {
		msg = strings.Join(te.Errors, "; ")
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return fmt.Errorf("%s: malformed YAML: %s", file, msg)
}
