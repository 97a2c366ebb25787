package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// plainFile is a top-level metadata key kept whole in one file, with the
// empty value Hasura's CLI writes when the server has none.
type plainFile struct {
	file, key string
	mapping   bool // empty value {} rather than []
}

// plainFiles are the files of Hasura's v3 metadata directory besides
// version.yaml, databases/ and the actions files.
var plainFiles = []plainFile{
	{"remote_schemas.yaml", "remote_schemas", false},
	{"query_collections.yaml", "query_collections", false},
	{"allow_list.yaml", "allowlist", false},
	{"cron_triggers.yaml", "cron_triggers", false},
	{"rest_endpoints.yaml", "rest_endpoints", false},
	{"inherited_roles.yaml", "inherited_roles", false},
	{"api_limits.yaml", "api_limits", true},
	{"network.yaml", "network", true},
	{"backend_configs.yaml", "backend_configs", true},
	{"opentelemetry.yaml", "opentelemetry", true},
	{"metrics_config.yaml", "metrics_config", true},
}

// The keys of a source in databases.yaml come in the order Hasura's CLI
// writes them; tables and functions go last, as !include references.
var sourceKeyOrder = []string{"name", "kind", "configuration", "query_tags", "customization", "health_check"}

// customTypeKinds are the lists of custom_types, written even when empty.
var customTypeKinds = []string{"enums", "input_objects", "objects", "scalars"}

// MetadataFiles lays out exported metadata JSON as Hasura's v3 metadata
// directory: file contents by slash-separated path relative to it.
func MetadataFiles(metadataJSON []byte) (map[string][]byte, error) {
	root, err := jsonToNode(metadataJSON)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("exported metadata is not a JSON object")
	}
	files := map[string][]byte{}
	put := func(path string, n *yaml.Node) error {
		b, err := encodeYAML(n)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		files[path] = b
		return nil
	}
	if err := put("version.yaml", mapNode("version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "3"})); err != nil {
		return nil, err
	}
	sources := get(root, "sources")
	if sources == nil {
		sources = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	if err := exportSources(sources, put); err != nil {
		return nil, err
	}
	for _, pf := range plainFiles {
		v := get(root, pf.key)
		if v == nil {
			v = emptyNode(pf.mapping)
		}
		if err := put(pf.file, v); err != nil {
			return nil, err
		}
	}
	introspection := get(root, "graphql_schema_introspection")
	if introspection == nil {
		introspection = mapNode("disabled_for_roles", emptyNode(false))
	}
	if err := put("graphql_schema_introspection.yaml", introspection); err != nil {
		return nil, err
	}
	// Actions and custom types: SDL in actions.graphql, the rest in
	// actions.yaml, as Hasura's CLI writes them.
	actions := get(root, "actions")
	if actions == nil {
		actions = emptyNode(false)
	}
	custom := get(root, "custom_types")
	if custom == nil {
		custom = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	actionsYAML, sdl, err := exportActions(actions, custom)
	if err != nil {
		return nil, err
	}
	if err := put("actions.yaml", actionsYAML); err != nil {
		return nil, err
	}
	files["actions.graphql"] = []byte(sdl)
	return files, nil
}

// exportSources writes databases/databases.yaml and one file per table and
// function, referenced with !include as Hasura's CLI does.
func exportSources(sources *yaml.Node, put func(string, *yaml.Node) error) error {
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, src := range sources.Content {
		name := scalar(get(src, "name"))
		if name == "" {
			return fmt.Errorf("a source of the exported metadata has no name")
		}
		s := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range sourceKeyOrder {
			if v := get(src, k); v != nil {
				s.Content = append(s.Content, strNode(k), v)
			}
		}
		for i := 0; i+1 < len(src.Content); i += 2 {
			k := src.Content[i].Value
			if k != "tables" && k != "functions" && !contains(sourceKeyOrder, k) {
				s.Content = append(s.Content, src.Content[i], src.Content[i+1])
			}
		}
		tables := get(src, "tables")
		if tables == nil {
			tables = emptyNode(false)
		}
		ref, err := exportList(tables, name, "tables", "table", put)
		if err != nil {
			return err
		}
		s.Content = append(s.Content, strNode("tables"), ref)
		if fns := get(src, "functions"); fns != nil {
			if len(fns.Content) == 0 {
				s.Content = append(s.Content, strNode("functions"), fns)
			} else {
				ref, err := exportList(fns, name, "functions", "function", put)
				if err != nil {
					return err
				}
				s.Content = append(s.Content, strNode("functions"), ref)
			}
		}
		out.Content = append(out.Content, s)
	}
	return put("databases/databases.yaml", out)
}

// exportList writes databases/<source>/<dir>/<schema>_<name>.yaml per item and
// the <dir>.yaml listing them; it returns the !include reference to that list.
func exportList(items *yaml.Node, source, dir, key string, put func(string, *yaml.Node) error) (*yaml.Node, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	seen := map[string]bool{}
	for _, it := range items.Content {
		qn := get(it, key)
		schema, name := scalar(get(qn, "schema")), scalar(get(qn, "name"))
		if qn != nil && qn.Kind == yaml.ScalarNode {
			schema, name = "public", qn.Value
		}
		if name == "" {
			return nil, fmt.Errorf("a %s of source %s has no name", key, source)
		}
		file := schema + "_" + name + ".yaml"
		if seen[file] {
			return nil, fmt.Errorf("two %ss of source %s would both be written to %s", key, source, file)
		}
		seen[file] = true
		if err := put("databases/"+source+"/"+dir+"/"+file, it); err != nil {
			return nil, err
		}
		list.Content = append(list.Content, includeNode(file))
	}
	if err := put("databases/"+source+"/"+dir+"/"+dir+".yaml", list); err != nil {
		return nil, err
	}
	return includeNode(source + "/" + dir + "/" + dir + ".yaml"), nil
}

// WriteMetadataDir replaces dir with files. It writes a sibling directory
// first and swaps it in, so a failure leaves the old directory whole.
func WriteMetadataDir(dir string, files map[string][]byte) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	defer os.RemoveAll(tmp)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write metadata: %w", err)
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return fmt.Errorf("write metadata: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	return nil
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func mapNode(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, strNode(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func emptyNode(mapping bool) *yaml.Node {
	if mapping {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
}

// includeNode is Hasura's quoted "!include file" reference.
func includeNode(file string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: "!include " + file}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
