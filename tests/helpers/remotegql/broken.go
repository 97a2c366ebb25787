package remotegql

// The broken-schema paths serve the character or union schema, but edit the
// introspection result so that add_remote_schema must refuse it (HELPERS.md
// B, "Broken-schema variants").

func typesOf(schema map[string]any) []map[string]any { return listOf(schema["types"]) }

func listOf(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func typeNamed(schema map[string]any, name string) map[string]any {
	for _, t := range typesOf(schema) {
		if t["name"] == name {
			return t
		}
	}
	return map[string]any{}
}

func ofKind(schema map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, t := range typesOf(schema) {
		if t["kind"] == kind {
			out = append(out, t)
		}
	}
	return out
}

func nonNullArg(name, scalar string) map[string]any {
	return map[string]any{"name": name, "description": nil, "defaultValue": nil,
		"type": map[string]any{"kind": "NON_NULL", "name": nil, "ofType": map[string]any{"kind": "SCALAR", "name": scalar, "ofType": nil}}}
}

// addArg appends arg to the field id of t.
func addArg(t map[string]any, arg map[string]any) {
	for _, f := range listOf(t["fields"]) {
		if f["name"] == "id" {
			args, _ := f["args"].([]any)
			f["args"] = append(args, arg)
		}
	}
}

var brokenInterfaces = map[string]func(map[string]any){
	"/iface-graphql-err-empty-field-list": func(s map[string]any) {
		for _, t := range ofKind(s, "INTERFACE") {
			t["fields"] = []any{}
		}
	},
	"/iface-graphql-err-unknown-iface": func(s map[string]any) {
		if ifaces := listOf(typeNamed(s, "Droid")["interfaces"]); len(ifaces) > 0 {
			ifaces[0]["name"] = "UnknownIFace"
		}
	},
	"/iface-graphql-err-missing-field": func(s map[string]any) {
		d := typeNamed(s, "Droid")
		var kept []any
		for _, f := range listOf(d["fields"]) {
			if f["name"] != "id" {
				kept = append(kept, f)
			}
		}
		d["fields"] = kept
	},
	"/iface-graphql-err-wrong-field-type": func(s map[string]any) {
		for _, f := range listOf(typeNamed(s, "Droid")["fields"]) {
			if f["name"] == "id" {
				f["type"] = map[string]any{"kind": "NON_NULL", "name": nil, "ofType": map[string]any{"kind": "SCALAR", "name": "String", "ofType": nil}}
			}
		}
	},
	"/iface-graphql-err-missing-arg": func(s map[string]any) {
		for _, t := range ofKind(s, "INTERFACE") {
			addArg(t, nonNullArg("ifaceArg", "Int"))
		}
	},
	"/iface-graphql-err-wrong-arg-type": func(s map[string]any) {
		for _, t := range ofKind(s, "INTERFACE") {
			addArg(t, nonNullArg("ifaceArg", "Int"))
		}
		addArg(typeNamed(s, "Droid"), nonNullArg("ifaceArg", "Int"))
		addArg(typeNamed(s, "Human"), nonNullArg("ifaceArg", "String"))
	},
	"/iface-graphql-err-extra-non-null-arg": func(s map[string]any) {
		addArg(typeNamed(s, "Droid"), nonNullArg("extraArg", "Int"))
	},
}

// editUnions applies edit to the possibleTypes of every union.
func editUnions(edit func(possible []map[string]any, t map[string]any)) func(map[string]any) {
	return func(s map[string]any) {
		for _, t := range ofKind(s, "UNION") {
			edit(listOf(t["possibleTypes"]), t)
		}
	}
}

var brokenUnions = map[string]func(map[string]any){
	"/union-graphql-err-unknown-types": editUnions(func(p []map[string]any, _ map[string]any) {
		for i, pt := range p {
			pt["name"] = "Unknown" + string(rune('0'+i))
		}
	}),
	"/union-graphql-err-subtype-iface": editUnions(func(p []map[string]any, _ map[string]any) {
		for _, pt := range p {
			pt["name"] = "Character"
		}
	}),
	"/union-graphql-err-no-member-types": editUnions(func(_ []map[string]any, t map[string]any) {
		t["possibleTypes"] = []any{}
	}),
	"/union-graphql-err-wrapped-type": editUnions(func(p []map[string]any, t map[string]any) {
		wrapped := make([]any, len(p))
		for i, pt := range p {
			wrapped[i] = map[string]any{"kind": "NON_NULL", "name": nil, "ofType": pt}
		}
		t["possibleTypes"] = wrapped
	}),
}
