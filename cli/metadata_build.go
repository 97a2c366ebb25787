package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxIncludeDepth stops an !include cycle; Hasura's layout nests two deep.
const maxIncludeDepth = 8

// metadataReader reads a metadata directory. Errors name the file (relative
// to base, for short messages) and, where YAML tells it, the line.
type metadataReader struct {
	dir  string
	base string
}

func (r *metadataReader) rel(path string) string {
	if p, err := filepath.Rel(r.base, path); err == nil {
		return filepath.ToSlash(p)
	}
	return path
}

// BuildMetadata reads a v3 metadata directory into the JSON metadata
// replace_metadata takes. All files are read and checked before anything is
// returned, so a broken file never leads to a half-applied metadata.
func BuildMetadata(dir string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r := &metadataReader{dir: abs, base: filepath.Dir(abs)}
	var out bytes.Buffer
	out.WriteString(`{"version":3`)
	version, err := r.file("version.yaml", true)
	if err != nil {
		return nil, err
	}
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(version, &v); err != nil || v.Version != 3 {
		return nil, fmt.Errorf("%s: metadata version must be 3 (found %s)", r.rel(filepath.Join(abs, "version.yaml")), strings.TrimSpace(string(version)))
	}
	sources, err := r.file("databases/databases.yaml", false)
	if err != nil {
		return nil, err
	}
	if sources == nil || string(sources) == "null" {
		sources = []byte("[]")
	}
	out.WriteString(`,"sources":`)
	out.Write(sources)
	add := func(key string, value []byte) {
		if isEmptyJSON(value) {
			return
		}
		out.WriteString(",")
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteString(":")
		out.Write(value)
	}
	actions, err := r.actions()
	if err != nil {
		return nil, err
	}
	for _, kv := range actions {
		add(kv[0], []byte(kv[1]))
	}
	for _, pf := range plainFiles {
		b, err := r.file(pf.file, false)
		if err != nil {
			return nil, err
		}
		add(pf.key, b)
	}
	introspection, err := r.file("graphql_schema_introspection.yaml", false)
	if err != nil {
		return nil, err
	}
	var gsi struct {
		DisabledForRoles []any `json:"disabled_for_roles"`
	}
	if introspection != nil && (json.Unmarshal(introspection, &gsi) != nil || len(gsi.DisabledForRoles) > 0) {
		add("graphql_schema_introspection", introspection)
	}
	out.WriteString("}")
	if !json.Valid(out.Bytes()) {
		return nil, fmt.Errorf("metadata in %s does not form valid JSON", dir)
	}
	return out.Bytes(), nil
}

// actions reads actions.graphql and actions.yaml into the actions and
// custom_types keys. With SDL in actions.graphql (Hasura's layout) the two
// are merged; with an empty actions.graphql, actions.yaml holds whole
// definitions (Graft's earlier layout, still read).
func (r *metadataReader) actions() ([][2]string, error) {
	sdlPath := filepath.Join(r.dir, "actions.graphql")
	yamlPath := filepath.Join(r.dir, "actions.yaml")
	b, err := r.file("actions.yaml", false)
	if err != nil {
		return nil, err
	}
	sdl, err := os.ReadFile(sdlPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", r.rel(sdlPath), err)
	}
	if hasGraphQL(string(sdl)) {
		return buildActions(r.rel(sdlPath), string(sdl), r.rel(yamlPath), b)
	}
	if b == nil {
		return nil, nil
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return nil, fmt.Errorf("%s: expected a mapping with actions and custom_types", r.rel(yamlPath))
	}
	var out [][2]string
	if a := parts["actions"]; !isEmptyJSON(a) {
		out = append(out, [2]string{"actions", string(a)})
	}
	if ct := parts["custom_types"]; !isEmptyJSON(ct) {
		kept, err := dropEmptyKinds(ct)
		if err != nil {
			return nil, fmt.Errorf("%s: custom_types: %w", r.rel(yamlPath), err)
		}
		if kept != "" {
			out = append(out, [2]string{"custom_types", kept})
		}
	}
	return out, nil
}

// file reads one metadata file, relative to the directory, as JSON with its
// !include references resolved; a missing optional file is nil.
func (r *metadataReader) file(name string, required bool) ([]byte, error) {
	path := filepath.Join(r.dir, filepath.FromSlash(name))
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if required {
			return nil, fmt.Errorf("%s: file not found: is %s a metadata directory?", r.rel(path), r.rel(r.dir))
		}
		return nil, nil
	}
	var buf bytes.Buffer
	if err := r.convert(&buf, path, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// convert writes the JSON of the YAML file at path, following !include
// references relative to the including file's directory.
func (r *metadataReader) convert(w *bytes.Buffer, path string, depth int) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", r.rel(path), err)
	}
	n, err := parseYAML(raw)
	if err != nil {
		return yamlLineError(r.rel(path), err)
	}
	return nodeToJSON(w, n, func(inc *yaml.Node, file string) error {
		target := filepath.Join(filepath.Dir(path), filepath.FromSlash(file))
		where := fmt.Sprintf("%s:%d: !include %s", r.rel(path), inc.Line, file)
		if depth >= maxIncludeDepth {
			return fmt.Errorf("%s: includes nest deeper than %d (a cycle?)", where, maxIncludeDepth)
		}
		if _, err := os.Stat(target); err != nil {
			return fmt.Errorf("%s: file %s not found", where, r.rel(target))
		}
		return r.convert(w, target, depth+1)
	})
}

// dropEmptyKinds removes the empty lists export writes for every custom type
// kind, so applying an exported directory leaves the server's JSON as it was.
func dropEmptyKinds(ct []byte) (string, error) {
	n, err := jsonToNode(ct)
	if err != nil {
		return "", err
	}
	if n.Kind != yaml.MappingNode {
		return string(ct), nil
	}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if contains(customTypeKinds, n.Content[i].Value) && v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			continue
		}
		kept = append(kept, n.Content[i], v)
	}
	if len(kept) == 0 {
		return "", nil
	}
	n.Content = kept
	var buf bytes.Buffer
	if err := nodeToJSON(&buf, n, nil); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func isEmptyJSON(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}

// hasGraphQL reports whether an SDL file holds more than comments and blanks.
func hasGraphQL(sdl string) bool {
	for _, line := range strings.Split(sdl, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}
