package metadata

import (
	"fmt"
	"strings"
)

// TypeRef is a GraphQL type reference as action and custom type
// definitions write it ("[UserInput!]!"): a named type, or a list of Elem,
// either of them non-null.
type TypeRef struct {
	Name    string
	Elem    *TypeRef // set for a list type
	NonNull bool
}

// ParseTypeRef reads GraphQL type syntax: Name, [T] and T!.
func ParseTypeRef(s string) (*TypeRef, error) {
	t, rest, err := parseTypeRef(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(rest) != "" {
		return nil, fmt.Errorf("not a valid graphql type: %q", s)
	}
	return t, nil
}

func parseTypeRef(s string) (*TypeRef, string, error) {
	var t *TypeRef
	switch {
	case strings.HasPrefix(s, "["):
		elem, rest, err := parseTypeRef(strings.TrimSpace(s[1:]))
		if err != nil {
			return nil, "", err
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "]") {
			return nil, "", fmt.Errorf("not a valid graphql type: missing ] in %q", s)
		}
		t, s = &TypeRef{Elem: elem}, strings.TrimSpace(rest[1:])
	default:
		n := 0
		for n < len(s) && isNameByte(s[n], n == 0) {
			n++
		}
		if n == 0 {
			return nil, "", fmt.Errorf("not a valid graphql type: %q", s)
		}
		t, s = &TypeRef{Name: s[:n]}, strings.TrimSpace(s[n:])
	}
	if strings.HasPrefix(s, "!") {
		t.NonNull, s = true, s[1:]
	}
	return t, s, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// Base is the named type at the bottom of the list wrappers.
func (t *TypeRef) Base() string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.Name
}

// IsList reports whether the type is a list (non-null or not).
func (t *TypeRef) IsList() bool { return t.Elem != nil }

// String writes the type back in GraphQL syntax.
func (t *TypeRef) String() string {
	s := t.Name
	if t.Elem != nil {
		s = "[" + t.Elem.String() + "]"
	}
	if t.NonNull {
		s += "!"
	}
	return s
}

// builtinScalars are GraphQL's own scalars.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// IsBuiltinScalar reports whether name is one of GraphQL's own scalars.
func IsBuiltinScalar(name string) bool { return builtinScalars[name] }
