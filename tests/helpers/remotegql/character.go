package remotegql

import (
	"github.com/graphql-go/graphql"
)

// characters are the types /character-iface-graphql and /union-graphql share.
type characters struct {
	iface        *graphql.Interface
	droid, human *graphql.Object
}

func newCharacters() *characters {
	c := &characters{}
	kindIs := func(kind string) graphql.IsTypeOfFn {
		return func(p graphql.IsTypeOfParams) bool {
			m, ok := p.Value.(map[string]any)
			return ok && m["kind"] == kind
		}
	}
	c.iface = graphql.NewInterface(graphql.InterfaceConfig{Name: "Character", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID)}, "name": {Type: graphql.NewNonNull(graphql.String)}},
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			if m, _ := p.Value.(map[string]any); m["kind"] == "human" {
				return c.human
			}
			return c.droid
		}})
	c.droid = graphql.NewObject(graphql.ObjectConfig{Name: "Droid", Interfaces: []*graphql.Interface{c.iface}, IsTypeOf: kindIs("droid"),
		Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}, "name": {Type: graphql.NewNonNull(graphql.String)},
			"primaryFunction": {Type: graphql.String}}})
	c.human = graphql.NewObject(graphql.ObjectConfig{Name: "Human", Interfaces: []*graphql.Interface{c.iface}, IsTypeOf: kindIs("human"),
		Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}, "name": {Type: graphql.NewNonNull(graphql.String)},
			"homePlanet": {Type: graphql.String}, "droid": {Type: c.droid}}})
	return c
}

func droid(id string) map[string]any {
	return map[string]any{"kind": "droid", "id": id, "name": "R2-D2", "primaryFunction": "Astromech"}
}

func human(id string) map[string]any {
	return map[string]any{"kind": "human", "id": id, "name": "Luke Skywalker", "homePlanet": "Tatooine", "droid": droid("1")}
}

func hero(episode int) any {
	switch episode {
	case 4:
		return droid("1")
	case 5:
		return human("2")
	}
	return nil
}

func characterSchema() graphql.Schema {
	c := newCharacters()
	args := graphql.NewInputObject(graphql.InputObjectConfig{Name: "CharacterInputArgs",
		Fields: graphql.InputObjectConfigFieldMap{"episode": {Type: graphql.NewNonNull(graphql.Int)}}})
	q := obj("CharacterIFaceQuery", graphql.Fields{
		"hero": {Type: c.iface, Args: graphql.FieldConfigArgument{"episode": {Type: graphql.NewNonNull(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) { return hero(p.Args["episode"].(int)), nil }},
		"heroes": {Type: graphql.NewList(c.iface), Resolve: constant([]any{droid("1"), human("2")})},
		"heroByArgs": {Type: c.iface, Args: graphql.FieldConfigArgument{"arguments": {Type: graphql.NewNonNull(args)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return hero(p.Args["arguments"].(map[string]any)["episode"].(int)), nil
			}},
	})
	return mustSchema(graphql.SchemaConfig{Query: q, Types: []graphql.Type{c.human, c.droid}})
}

func unionSchema() graphql.Schema {
	c := newCharacters()
	u := graphql.NewUnion(graphql.UnionConfig{Name: "CharacterSearchResult", Types: []*graphql.Object{c.human, c.droid},
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			if m, _ := p.Value.(map[string]any); m["kind"] == "human" {
				return c.human
			}
			return c.droid
		}})
	q := obj("UnionQuery", graphql.Fields{
		"search": {Type: u, Args: graphql.FieldConfigArgument{"episode": {Type: graphql.NewNonNull(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				switch p.Args["episode"].(int) {
				case 1:
					return droid("6"), nil
				case 2:
					return human("7"), nil
				}
				return nil, nil
			}},
	})
	return mustSchema(graphql.SchemaConfig{Query: q, Types: []graphql.Type{c.iface}})
}

func echoSchema() graphql.Schema {
	color := graphql.NewEnum(graphql.EnumConfig{Name: "Color", Values: graphql.EnumValueConfigMap{
		"RED": {Value: "RED"}, "GREEN": {Value: "GREEN"}, "BLUE": {Value: "BLUE"}}})
	size := obj("SizeObj", graphql.Fields{"width": {Type: graphql.Int}, "height": {Type: graphql.Float},
		"shape": {Type: graphql.String}, "hasTag": {Type: graphql.Boolean}})
	sizeIn := graphql.NewInputObject(graphql.InputObjectConfig{Name: "SizeInput", Fields: graphql.InputObjectConfigFieldMap{
		"width": {Type: graphql.Int, DefaultValue: 100}, "height": {Type: graphql.Float, DefaultValue: 100.1},
		"shape": {Type: graphql.String, DefaultValue: "cube"}, "hasTag": {Type: graphql.Boolean, DefaultValue: false}}})
	echo := obj("Echo", graphql.Fields{"intFld": {Type: graphql.Int}, "listFld": {Type: graphql.NewList(graphql.String)},
		"objFld": {Type: size}, "enumFld": {Type: color}})
	sizeDefault := map[string]any{"width": 100, "height": 100.1, "shape": "cube", "hasTag": false}
	return mustSchema(graphql.SchemaConfig{Query: obj("EchoQuery", graphql.Fields{
		"echo": {Type: echo, Args: graphql.FieldConfigArgument{
			"intInput": {Type: graphql.Int, DefaultValue: 1234}, "listInput": {Type: graphql.NewList(graphql.String), DefaultValue: []any{"hi", "there"}},
			"objInput": {Type: sizeIn, DefaultValue: sizeDefault}, "enumInput": {Type: color, DefaultValue: "RED"},
			"rIntInput":  {Type: graphql.NewNonNull(graphql.Int), DefaultValue: 1234},
			"rListInput": {Type: graphql.NewList(graphql.NewNonNull(graphql.String)), DefaultValue: []any{"general", "Kenobi"}},
			"rObjInput":  {Type: graphql.NewNonNull(sizeIn), DefaultValue: sizeDefault},
			"rEnumInput": {Type: graphql.NewNonNull(color), DefaultValue: "RED"}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return map[string]any{"intFld": p.Args["intInput"], "listFld": p.Args["listInput"],
					"objFld": p.Args["objInput"], "enumFld": p.Args["enumInput"]}, nil
			}},
	})})
}

// forceEnumDefault makes enumInput's default the string RED, as the Python server does.
func forceEnumDefault(schema map[string]any) {
	for _, t := range typesOf(schema) {
		for _, f := range listOf(t["fields"]) {
			for _, a := range listOf(f["args"]) {
				if a["name"] == "enumInput" {
					a["defaultValue"] = "RED"
				}
			}
		}
	}
}
