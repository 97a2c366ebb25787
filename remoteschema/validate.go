package remoteschema

import "fmt"

// validate checks what a GraphQL schema must satisfy and Hasura checks of
// a remote's introspection: interfaces and unions that make sense, with
// Hasura's messages (Hasura.GraphQL.Schema.Remote).
func (d *schemaDoc) validate() error {
	if d.typ(d.queryRoot) == nil {
		return fmt.Errorf("query root type %q not found in the remote schema", d.queryRoot)
	}
	if err := d.validateReferences(); err != nil {
		return err
	}
	for _, t := range d.types {
		switch t.Kind {
		case "INTERFACE":
			if len(t.Fields) == 0 {
				return fmt.Errorf("List of fields cannot be empty for interface '%s'", t.Name)
			}
		case "UNION":
			if err := d.validateUnion(t); err != nil {
				return err
			}
		}
	}
	for _, t := range d.types {
		if t.Kind != "OBJECT" {
			continue
		}
		for _, in := range t.Interfaces {
			iface := d.typ(in)
			if iface == nil || iface.Kind != "INTERFACE" {
				return fmt.Errorf("Could not find interface '%s' implemented by Object type '%s'", in, t.Name)
			}
			if err := d.validateImplements(t, iface); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *schemaDoc) validateUnion(u *typeDef) error {
	if len(u.PossibleTypes) == 0 {
		return fmt.Errorf("List of member types cannot be empty for union type '%s'", u.Name)
	}
	for _, n := range u.PossibleTypes {
		m := d.typ(n)
		if m == nil {
			return fmt.Errorf("Could not find type '%s', which is defined as a member type of Union '%s'", n, u.Name)
		}
		if m.Kind != "OBJECT" {
			return fmt.Errorf("Union type '%s' can only include object types. It cannot include '%s'", u.Name, n)
		}
	}
	return nil
}

// validateImplements checks that o provides every field of iface with a
// compatible type and arguments.
func (d *schemaDoc) validateImplements(o, iface *typeDef) error {
	for _, f := range iface.Fields {
		of := o.field(f.Name)
		if of == nil {
			return fmt.Errorf("Interface field '%s'.%q expected, but '%s' does not provide it", iface.Name, f.Name, o.Name)
		}
		if !d.subtype(of.Type, f.Type) {
			return fmt.Errorf("The type of Object field '%s'.%q (%s) is not the same type/sub type of Interface field '%s'.%q (%s)",
				o.Name, f.Name, of.Type, iface.Name, f.Name, f.Type)
		}
		for _, a := range f.Args {
			oa := of.arg(a.Name)
			if oa == nil {
				return fmt.Errorf("Interface field argument '%s'.%q(%q:) required, but Object field '%s'.%q does not provide it",
					iface.Name, f.Name, a.Name, o.Name, f.Name)
			}
			if oa.Type.String() != a.Type.String() {
				return fmt.Errorf("Interface field argument '%s'.%q(%q:) expects type %s, but '%s'.%q(%q:) has type %s",
					iface.Name, f.Name, a.Name, a.Type, o.Name, f.Name, a.Name, oa.Type)
			}
		}
		for _, oa := range of.Args {
			if f.arg(oa.Name) == nil && oa.Type != nil && oa.Type.Kind == "NON_NULL" {
				return fmt.Errorf("Object field argument '%s'.%q(%q:) is of required type %s, but is not provided by Interface field '%s'.%q",
					o.Name, f.Name, oa.Name, oa.Type, iface.Name, f.Name)
			}
		}
	}
	return nil
}

// subtype reports whether a value of type sub may stand where sup is expected.
func (d *schemaDoc) subtype(sub, sup *typeRef) bool {
	switch {
	case sub == nil || sup == nil:
		return false
	case sup.Kind == "NON_NULL":
		return sub.Kind == "NON_NULL" && d.subtype(sub.OfType, sup.OfType)
	case sub.Kind == "NON_NULL":
		return d.subtype(sub.OfType, sup)
	case sup.Kind == "LIST":
		return sub.Kind == "LIST" && d.subtype(sub.OfType, sup.OfType)
	case sub.Kind == "LIST":
		return false
	}
	a, b := sub.named(), sup.named()
	if a == b {
		return true
	}
	if st, pt := d.typ(a), d.typ(b); st != nil && pt != nil && pt.abstract() {
		for _, p := range d.possible(pt) {
			if p.Name == a {
				return true
			}
		}
	}
	return false
}

// validateReferences checks that every field, argument and input field
// has a type, and that the type exists.
func (d *schemaDoc) validateReferences() error {
	check := func(owner, name string, ref *typeRef) error {
		if ref == nil || ref.named() == "" {
			return fmt.Errorf("the type of '%s'.%q is missing in the remote's introspection", owner, name)
		}
		if d.typ(ref.named()) == nil {
			return fmt.Errorf("Could not find type '%s', the type of '%s'.%q", ref.named(), owner, name)
		}
		return nil
	}
	for _, t := range d.types {
		for _, f := range t.Fields {
			if err := check(t.Name, f.Name, f.Type); err != nil {
				return err
			}
			for _, a := range f.Args {
				if err := check(t.Name+"."+f.Name, a.Name, a.Type); err != nil {
					return err
				}
			}
		}
		for _, f := range t.InputFields {
			if err := check(t.Name, f.Name, f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}
