package remoteschema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graftql/graft/metadata"
)

// builtInScalars keep their names under a type prefix or suffix.
var builtInScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// customizer renames a remote schema's types and fields as its
// customization says (Hasura's getCustomizer), and undoes it.
type customizer struct {
	namespace string
	types     map[string]string            // original type name -> client name
	fields    map[string]map[string]string // original parent type -> original field -> client name
	// the reverse of both, for requests
	typesBack  map[string]string
	fieldsBack map[string]map[string]string
}

func newCustomizer(d *schemaDoc, c *metadata.RemoteSchemaCustomization) *customizer {
	cz := &customizer{types: map[string]string{}, fields: map[string]map[string]string{},
		typesBack: map[string]string{}, fieldsBack: map[string]map[string]string{}}
	if c == nil {
		return cz
	}
	cz.namespace = c.RootFieldsNamespace
	roots := []string{d.queryRoot, d.mutationRoot, d.subscrRoot}
	protected := map[string]bool{}
	for n := range builtInScalars {
		protected[n] = true
	}
	if cz.namespace == "" {
		// Root types keep their names unless the schema is namespaced.
		for _, r := range roots {
			protected[r] = true
		}
	}
	// Lowest precedence first; later assignments win.
	if tn := c.TypeNames; tn != nil && (tn.Prefix != "" || tn.Suffix != "") {
		for _, t := range d.types {
			if !strings.HasPrefix(t.Name, "__") && !protected[t.Name] {
				cz.types[t.Name] = tn.Prefix + t.Name + tn.Suffix
			}
		}
	}
	if cz.namespace != "" {
		for _, r := range roots {
			if r != "" {
				cz.types[r] = cz.namespace + r
			}
		}
	}
	if tn := c.TypeNames; tn != nil {
		for from, to := range tn.Mapping {
			cz.types[from] = to
		}
	}
	for _, fc := range c.FieldNames {
		t := d.typ(fc.ParentType)
		if t == nil || (t.Kind != "OBJECT" && t.Kind != "INTERFACE") {
			continue
		}
		m := map[string]string{}
		if fc.Prefix != "" || fc.Suffix != "" {
			for _, f := range t.Fields {
				m[f.Name] = fc.Prefix + f.Name + fc.Suffix
			}
		}
		for from, to := range fc.Mapping {
			if t.field(from) != nil {
				m[from] = to
			}
		}
		cz.fields[t.Name] = m
	}
	for from, to := range cz.types {
		cz.typesBack[to] = from
	}
	for parent, m := range cz.fields {
		back := map[string]string{}
		for from, to := range m {
			back[to] = from
		}
		cz.fieldsBack[parent] = back
	}
	return cz
}

// typeName is the client's name of a remote type.
func (cz *customizer) typeName(orig string) string {
	if n, ok := cz.types[orig]; ok {
		return n
	}
	return orig
}

// origType is the remote's name of a client type name.
func (cz *customizer) origType(name string) string {
	if n, ok := cz.typesBack[name]; ok {
		return n
	}
	if _, renamed := cz.types[name]; renamed {
		return "" // the original name is not in the client's schema
	}
	return name
}

// fieldName is the client's name of a remote field of parent.
func (cz *customizer) fieldName(parent, orig string) string {
	if n, ok := cz.fields[parent][orig]; ok {
		return n
	}
	return orig
}

// origField is the remote's name of a client field name of parent.
func (cz *customizer) origField(parent, name string) string {
	if n, ok := cz.fieldsBack[parent][name]; ok {
		return n
	}
	if _, renamed := cz.fields[parent][name]; renamed {
		return ""
	}
	return name
}

// validate refuses customizations that would make the schema ambiguous,
// with Hasura's messages (validateSchemaCustomizations).
func (cz *customizer) validate(d *schemaDoc) error {
	for _, t := range d.types {
		if t.Kind != "INTERFACE" {
			continue
		}
		for _, p := range d.possible(t) {
			for _, f := range t.Fields {
				in, tn := cz.fieldName(t.Name, f.Name), cz.fieldName(p.Name, f.Name)
				if in != tn {
					return fmt.Errorf("Remote schema customization inconsistency: field name mapping for field %q of interface %q "+
						"is inconsistent with mapping for type %q. Interface field name maps to %q. Type field name maps to %q.",
						f.Name, t.Name, p.Name, in, tn)
				}
			}
		}
	}
	names := make([]string, 0, len(d.types))
	for _, t := range d.types {
		names = append(names, cz.typeName(t.Name))
	}
	if dups := duplicates(names); len(dups) > 0 {
		return fmt.Errorf("Type name mappings are not distinct; the following types appear more than once: %s", dquoteList(dups))
	}
	for _, t := range d.types {
		if t.Kind != "OBJECT" && t.Kind != "INTERFACE" {
			continue
		}
		fields := make([]string, 0, len(t.Fields))
		for _, f := range t.Fields {
			fields = append(fields, cz.fieldName(t.Name, f.Name))
		}
		if dups := duplicates(fields); len(dups) > 0 {
			kind := "object"
			if t.Kind == "INTERFACE" {
				kind = "interface"
			}
			return fmt.Errorf("Field name mappings for %s type %q are not distinct; the following fields appear more than once: %s",
				kind, t.Name, dquoteList(dups))
		}
	}
	return nil
}

func duplicates(names []string) []string {
	seen, dup := map[string]int{}, []string{}
	for _, n := range names {
		seen[n]++
		if seen[n] == 2 {
			dup = append(dup, n)
		}
	}
	sort.Strings(dup)
	return dup
}

func dquoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
