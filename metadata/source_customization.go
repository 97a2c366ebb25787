package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SourceCustomization is a source's GraphQL customization (Hasura's
// SourceCustomization): a namespace field holding its root fields, a prefix
// and suffix on its root field names and on the names of the types it
// generates, and a naming convention.
type SourceCustomization struct {
	Namespace, RootPrefix, RootSuffix string
	TypePrefix, TypeSuffix            string
	// NamingConvention is "hasura-default" or "graphql-default"; "" when unset.
	NamingConvention string
}

// ParseCustomization reads a source's "customization"; nil when it changes
// nothing.
func ParseCustomization(raw json.RawMessage) (*SourceCustomization, error) {
	if !isSet(raw) {
		return nil, nil
	}
	var c struct {
		RootFields *struct {
			Namespace string `json:"namespace"`
			Prefix    string `json:"prefix"`
			Suffix    string `json:"suffix"`
		} `json:"root_fields"`
		TypeNames *struct {
			Prefix string `json:"prefix"`
			Suffix string `json:"suffix"`
		} `json:"type_names"`
		NamingConvention string `json:"naming_convention"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	out := &SourceCustomization{NamingConvention: c.NamingConvention}
	if r := c.RootFields; r != nil {
		out.Namespace, out.RootPrefix, out.RootSuffix = r.Namespace, r.Prefix, r.Suffix
	}
	if t := c.TypeNames; t != nil {
		out.TypePrefix, out.TypeSuffix = t.Prefix, t.Suffix
	}
	for _, part := range []struct{ what, v string }{{"root_fields.namespace", out.Namespace},
		{"root_fields.prefix", out.RootPrefix}, {"root_fields.suffix", out.RootSuffix},
		{"type_names.prefix", out.TypePrefix}, {"type_names.suffix", out.TypeSuffix}} {
		if part.v != "" && !gqlName.MatchString(part.v) {
			return nil, fmt.Errorf("%s: %q is not a valid GraphQL name", part.what, part.v)
		}
	}
	switch out.NamingConvention {
	case "", "hasura-default", "graphql-default":
	default:
		return nil, fmt.Errorf("naming_convention: %q is neither hasura-default nor graphql-default", out.NamingConvention)
	}
	if *out == (SourceCustomization{NamingConvention: out.NamingConvention}) && out.NamingConvention != "graphql-default" {
		return nil, nil
	}
	return out, nil
}

// TypeName is the name a type the source generates takes: prefix + n +
// suffix. GraphQL's built-in scalars keep theirs, as in Hasura: they are
// GraphQL's own types, not the source's.
func (c *SourceCustomization) TypeName(n string) string {
	if c == nil || builtinScalars[n] {
		return n
	}
	if c.GraphQLDefault() {
		n = PascalName(n)
	}
	return c.TypePrefix + n + c.TypeSuffix
}

// HasTypeNames reports whether the source renames its types (a prefix, a
// suffix, or graphql-default's PascalCase).
func (c *SourceCustomization) HasTypeNames() bool {
	return c != nil && (c.TypePrefix != "" || c.TypeSuffix != "" || c.GraphQLDefault())
}

// GraphQLDefault reports whether the source's naming convention is
// graphql-default: camelCase fields and arguments, PascalCase types,
// UPPERCASE enum values.
func (c *SourceCustomization) GraphQLDefault() bool {
	return c != nil && c.NamingConvention == "graphql-default"
}

// RootField is the name a root field of the source takes: under
// graphql-default the name is camelCased and, after a prefix, starts with
// a capital (lib_ + bookByPk: lib_BookByPk).
func (c *SourceCustomization) RootField(n string) string {
	if c == nil {
		return n
	}
	if c.GraphQLDefault() {
		n = CamelName(n)
		if c.RootPrefix != "" {
			n = upperFirst(n)
		}
		return c.RootPrefix + n + upperFirst(c.RootSuffix)
	}
	return c.RootPrefix + n + c.RootSuffix
}

// namespace is the source's namespace field, "" when none.
func (c *SourceCustomization) namespace() string {
	if c == nil {
		return ""
	}
	return c.Namespace
}

// Namespaced returns the namespace field holding the source's root fields,
// "" when they are on the root types themselves.
func (c *SourceCustomization) Namespaced() string { return c.namespace() }

// customized applies the source's root field prefix and suffix.
func (rf RootFieldNames) customized(c *SourceCustomization) RootFieldNames {
	if c == nil {
		return rf
	}
	for _, p := range []*string{&rf.Select, &rf.SelectByPk, &rf.SelectAggregate, &rf.SelectStream, &rf.Insert, &rf.InsertOne,
		&rf.Update, &rf.UpdateByPk, &rf.UpdateMany, &rf.Delete, &rf.DeleteByPk} {
		*p = c.RootField(*p)
	}
	return rf
}

// TypeName is the name of the table's type with suffix ("" for the row
// type itself, "_bool_exp", "_aggregate" ...), after the source's type name
// customization: Hasura puts the prefix and suffix around the whole name.
func (t *Table) TypeName(suffix string) string { return t.Custom.TypeName(t.GQLName + suffix) }

// CamelName is graphql-default's field and argument name for a snake_case
// name: book_by_pk -> bookByPk, _is_null -> _isNull. Leading underscores
// stay; a name without underscores is kept as it is.
func CamelName(n string) string {
	lead := len(n) - len(strings.TrimLeft(n, "_"))
	parts := strings.Split(n[lead:], "_")
	var b strings.Builder
	b.WriteString(n[:lead])
	first := true
	for _, p := range parts {
		if p == "" {
			continue
		}
		if first {
			b.WriteString(p)
			first = false
			continue
		}
		b.WriteString(upperFirst(p))
	}
	return b.String()
}

// PascalName is graphql-default's type name: book_bool_exp -> BookBoolExp,
// Int_comparison_exp -> IntComparisonExp.
func PascalName(n string) string {
	lead := len(n) - len(strings.TrimLeft(n, "_"))
	return n[:lead] + upperFirst(CamelName(n[lead:]))
}

// EnumValueName is graphql-default's enum value: asc_nulls_first ->
// ASC_NULLS_FIRST.
func EnumValueName(v string) string { return strings.ToUpper(v) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
