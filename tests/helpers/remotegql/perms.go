package remotegql

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/graphql-go/graphql"
)

// NewPermsHandler is server C, remote_schema_perms.js: GraphQL at "/",
// variables honoured, as Apollo Server does.
func NewPermsHandler() http.Handler {
	schema := permsSchema()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var req request
		if err == nil {
			err = json.Unmarshal(raw, &req)
		}
		if err != nil || req.Query == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: req.Query, VariableValues: req.Variables,
			OperationName: req.OperationName, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resultMap(res))
	})
}

type message struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Msg  string `json:"msg"`
}

var permMessages = []message{{1, "alice", "You win!"}, {2, "bob", "You lose!"}, {3, "alice", "Another alice"}}

// filterMessages applies messages' where and includes arguments.
func filterMessages(in []message, where, includes map[string]any) ([]message, error) {
	out := append([]message(nil), in...)
	keep := func(f func(m message) bool) {
		var next []message
		for _, m := range out {
			if f(m) {
				next = append(next, m)
			}
		}
		out = next
	}
	if id, ok := where["id"].(map[string]any); ok {
		for op, v := range id {
			n, _ := v.(int)
			switch op {
			case "eq":
				keep(func(m message) bool { return m.ID == n })
			case "gt":
				keep(func(m message) bool { return m.ID > n })
			case "lt":
				keep(func(m message) bool { return m.ID < n })
			default:
				return nil, errors.New("invalid argument")
			}
		}
	}
	if name, ok := where["name"].(map[string]any); ok {
		for op, v := range name {
			if op != "eq" {
				return nil, errors.New("invalid argument")
			}
			keep(func(m message) bool { return m.Name == v })
		}
	}
	if ids, ok := includes["id"].([]any); ok {
		keep(func(m message) bool { return slices.Contains(ids, any(m.ID)) })
	}
	if names, ok := includes["name"].([]any); ok {
		keep(func(m message) bool { return slices.Contains(names, any(m.Name)) })
	}
	return out, nil
}

func permsSchema() graphql.Schema {
	intCmp := graphql.NewInputObject(graphql.InputObjectConfig{Name: "IntCompareObj", Fields: graphql.InputObjectConfigFieldMap{
		"eq": {Type: graphql.Int}, "gt": {Type: graphql.Int}, "lt": {Type: graphql.Int}}})
	strCmp := graphql.NewInputObject(graphql.InputObjectConfig{Name: "StringCompareObj", Fields: graphql.InputObjectConfigFieldMap{
		"eq": {Type: graphql.String}}})
	where := graphql.NewInputObject(graphql.InputObjectConfig{Name: "MessageWhereInpObj", Fields: graphql.InputObjectConfigFieldMap{
		"id": {Type: intCmp}, "name": {Type: strCmp}}})
	includes := graphql.NewInputObject(graphql.InputObjectConfig{Name: "IncludeInpObj", Fields: graphql.InputObjectConfigFieldMap{
		"id": {Type: graphql.NewList(graphql.Int)}, "name": {Type: graphql.NewList(graphql.String)}}})
	comm := graphql.NewInterface(graphql.InterfaceConfig{Name: "Communication", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.Int)}, "msg": {Type: graphql.NewNonNull(graphql.String)}}})
	msg := graphql.NewObject(graphql.ObjectConfig{Name: "Message", Interfaces: []*graphql.Interface{comm},
		IsTypeOf: func(graphql.IsTypeOfParams) bool { return true },
		Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.Int)}, "name": {Type: graphql.NewNonNull(graphql.String)},
			"msg": {Type: graphql.NewNonNull(graphql.String)},
			"errorMsg": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) {
				return nil, errors.New("intentional-error")
			}}}})
	msgArgs := func(whereName string) graphql.FieldConfigArgument {
		return graphql.FieldConfigArgument{whereName: {Type: where}, "includes": {Type: includes}}
	}
	argMap := func(p graphql.ResolveParams, name string) map[string]any {
		m, _ := p.Args[name].(map[string]any)
		return m
	}
	userT := obj("User", graphql.Fields{
		"user_id": {Type: graphql.Int},
		"userMessages": {Type: graphql.NewList(msg), Args: msgArgs("whered"), Resolve: func(p graphql.ResolveParams) (any, error) {
			uid := p.Source.(map[string]any)["user_id"]
			var own []message
			for _, m := range permMessages {
				if m.ID == uid {
					own = append(own, m)
				}
			}
			return filterMessages(own, argMap(p, "whered"), argMap(p, "includes"))
		}},
		"gimmeText": {Type: graphql.String, Args: graphql.FieldConfigArgument{"text": {Type: graphql.String}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				if t, _ := p.Args["text"].(string); t != "" {
					return t, nil
				}
				return "no text", nil
			}},
	})
	name := graphql.NewInterface(graphql.InterfaceConfig{Name: "Name", Fields: graphql.Fields{
		"firstName": {Type: graphql.String}, "lastName": {Type: graphql.String}}})
	person := graphql.NewObject(graphql.ObjectConfig{Name: "Person", Interfaces: []*graphql.Interface{name},
		IsTypeOf: func(p graphql.IsTypeOfParams) bool { _, ok := p.Value.(map[string]any)["age"]; return ok },
		Fields:   graphql.Fields{"firstName": {Type: graphql.String}, "lastName": {Type: graphql.String}, "age": {Type: graphql.Int}}})
	dims := graphql.NewInputObject(graphql.InputObjectConfig{Name: "Dimensions", Fields: graphql.InputObjectConfigFieldMap{
		"height": {Type: graphql.Int}, "width": {Type: graphql.Int}}})
	photo := graphql.NewObject(graphql.ObjectConfig{Name: "Photo", IsTypeOf: func(p graphql.IsTypeOfParams) bool {
		_, ok := p.Value.(map[string]any)["age"]
		return !ok
	}, Fields: graphql.Fields{"height": {Type: graphql.Int}, "width": {Type: graphql.Int}}})
	search := graphql.NewUnion(graphql.UnionConfig{Name: "SearchResult", Types: []*graphql.Object{photo, person}})
	searchQ := obj("SearchQuery", graphql.Fields{"firstSearchResult": {Type: search}})
	status := graphql.NewEnum(graphql.EnumConfig{Name: "MessageStatus", Values: graphql.EnumValueConfigMap{
		"READ": {Value: "READ"}, "DELIVERED": {Value: "DELIVERED"}, "SENT": {Value: "SENT"}}})
	query := obj("Query", graphql.Fields{
		"hello": {Type: graphql.String, Resolve: constant("world")},
		"messages": {Type: graphql.NewList(msg), Args: msgArgs("where"), Resolve: func(p graphql.ResolveParams) (any, error) {
			return filterMessages(permMessages, argMap(p, "where"), argMap(p, "includes"))
		}},
		"user": {Type: userT, Args: graphql.FieldConfigArgument{"user_id": {Type: graphql.NewNonNull(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) { return map[string]any{"user_id": p.Args["user_id"]}, nil }},
		"users": {Type: graphql.NewList(userT), Args: graphql.FieldConfigArgument{"user_ids": {Type: graphql.NewNonNull(graphql.NewList(graphql.Int))}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				var out []any
				for _, id := range p.Args["user_ids"].([]any) {
					out = append(out, map[string]any{"user_id": id})
				}
				return out, nil
			}},
		"message": {Type: msg, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				for _, m := range permMessages {
					if m.ID == p.Args["id"] {
						return m, nil
					}
				}
				return nil, nil
			}},
		"communications": {Type: graphql.NewList(comm), Args: graphql.FieldConfigArgument{"id": {Type: graphql.Int}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id, has := p.Args["id"]
				var out []message
				for _, m := range permMessages {
					if !has || m.ID == id {
						out = append(out, m)
					}
				}
				return out, nil
			}},
		"profilePicture": {Type: photo, Args: graphql.FieldConfigArgument{"dimensions": {Type: dims}},
			Resolve: func(p graphql.ResolveParams) (any, error) { return p.Args["dimensions"], nil }},
	})
	return mustSchema(graphql.SchemaConfig{Query: query, Types: []graphql.Type{searchQ, status, person, msg}})
}
