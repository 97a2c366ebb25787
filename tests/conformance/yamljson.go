package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"gopkg.in/yaml.v3"
)

// yamlToJSON converts one YAML document to JSON text.
//
// The corpus was written for a Python harness that loads YAML and posts the
// resulting dicts as JSON. Going through yaml.Node (instead of decoding into
// map[string]any) keeps the key order of every mapping, so request bodies go
// out in the order the file wrote them and the strict-order mode can see the
// order of expected objects. Anchors, aliases and merge keys (`<<`) are
// resolved here; scalars are typed by yaml.v3's resolver.
func yamlToJSON(src []byte) (json.RawMessage, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	if doc.Kind == 0 { // empty file
		return json.RawMessage("null"), nil
	}
	var buf bytes.Buffer
	if err := writeNodeJSON(&buf, &doc, 0); err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}

// maxAliasDepth guards against alias cycles, which yaml.v3 accepts in a Node tree.
const maxAliasDepth = 100

func writeNodeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > maxAliasDepth {
		return fmt.Errorf("yaml nesting deeper than %d (alias cycle?) at line %d", maxAliasDepth, n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return writeNodeJSON(buf, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeNodeJSON(buf, n.Alias, depth+1)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeNodeJSON(buf, item, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		return writeMappingJSON(buf, n, depth)
	case yaml.ScalarNode:
		return writeScalarJSON(buf, n)
	}
	return fmt.Errorf("unsupported yaml node kind %d at line %d", n.Kind, n.Line)
}

// mappingEntry is one key of a mapping after merge keys are applied.
type mappingEntry struct {
	key   string
	value *yaml.Node
}

func writeMappingJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	entries, err := flattenMapping(n, depth)
	if err != nil {
		return err
	}
	buf.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := marshalJSON(e.key) // marshalling a string cannot fail
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeNodeJSON(buf, e.value, depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// flattenMapping applies YAML 1.1 merge keys the way PyYAML does: merged keys
// come first (earlier merge sources win over later ones), the mapping's own
// keys override them, and a repeated key keeps its first position but takes
// the last value.
func flattenMapping(n *yaml.Node, depth int) ([]mappingEntry, error) {
	if depth > maxAliasDepth {
		return nil, fmt.Errorf("yaml merge nesting too deep at line %d", n.Line)
	}
	var merged, own []mappingEntry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			m, err := mergeSources(v, depth)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		own = append(own, mappingEntry{key: keyText(k), value: v})
	}
	var out []mappingEntry
	index := map[string]int{}
	add := func(e mappingEntry, override bool) {
		if at, ok := index[e.key]; ok {
			if override {
				out[at].value = e.value
			}
			return
		}
		index[e.key] = len(out)
		out = append(out, e)
	}
	for _, e := range merged {
		add(e, false)
	}
	for _, e := range own {
		add(e, true)
	}
	return out, nil
}

// mergeSources returns the entries a `<<` value contributes: one mapping, or a
// sequence of mappings, each possibly behind an alias.
func mergeSources(v *yaml.Node, depth int) ([]mappingEntry, error) {
	for v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return flattenMapping(v, depth+1)
	case yaml.SequenceNode:
		var out []mappingEntry
		for _, item := range v.Content {
			m, err := mergeSources(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("merge key `<<` at line %d needs a mapping or a list of mappings", v.Line)
}

func writeScalarJSON(buf *bytes.Buffer, n *yaml.Node) error {
	var v any
	switch n.ShortTag() {
	case "!!int", "!!float":
		// Keep the number as written (1.0 stays 1.0, as Python would send
		// it) whenever the YAML spelling is already a JSON number.
		if isJSONNumber(n.Value) {
			buf.WriteString(n.Value)
			return nil
		}
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("decode scalar %q at line %d: %w", n.Value, n.Line, err)
		}
	case "!!str", "!!timestamp", "!!binary":
		if b, ok := yaml11Bool(n); ok {
			v = b
			break
		}
		// Timestamps stay text: the corpus quotes dates, and a JSON body
		// can only carry them as strings anyway.
		v = n.Value
	default:
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("decode scalar %q at line %d: %w", n.Value, n.Line, err)
		}
	}
	if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return fmt.Errorf("scalar %q at line %d has no JSON form", n.Value, n.Line)
	}
	b, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode scalar %q at line %d: %w", n.Value, n.Line, err)
	}
	buf.Write(b)
	return nil
}

// yaml11Bools are the plain scalars PyYAML (YAML 1.1) reads as booleans
// beyond true/false, which yaml.v3 (YAML 1.2) keeps as strings. The corpus
// has `Touchscreen: yes`, which the Python harness sends as true.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// yaml11Bool reports whether n is a plain YAML 1.1 boolean, and its value.
func yaml11Bool(n *yaml.Node) (value, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Style != 0 { // quoted, block or explicitly tagged
		return false, false
	}
	value, ok = yaml11Bools[n.Value]
	return value, ok
}

// keyText is a mapping key as it reaches the wire: PyYAML loads plain keys
// such as `1:`, `true:` or `~:` as numbers, booleans and None, and json.dumps
// writes them as the strings "1", "true" and "null".
func keyText(k *yaml.Node) string {
	if k.Kind != yaml.ScalarNode || k.Style != 0 {
		return k.Value
	}
	if b, ok := yaml11Bool(k); ok {
		return fmt.Sprint(b)
	}
	switch k.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		var b bool
		if k.Decode(&b) == nil {
			return fmt.Sprint(b)
		}
	case "!!int":
		var i int64 // 0x1F: Python's str(31)
		if k.Decode(&i) == nil {
			return fmt.Sprint(i)
		}
	}
	return k.Value
}

// isJSONNumber reports whether s is a number literal in JSON syntax.
func isJSONNumber(s string) bool {
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

// marshalJSON is json.Marshal without HTML escaping, so SQL such as
// `id < 3` stays readable in requests and in the report.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
