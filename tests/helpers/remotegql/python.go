package remotegql

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// NewPythonHandler is server B: graphql_server.py's paths (HELPERS.md B).
func NewPythonHandler() http.Handler {
	eps := map[string]*endpoint{
		"/hello-graphql":              {schema: helloSchema()},
		"/hello-graphql-extensions":   {schema: helloSchema(), reply: addExtensions},
		"/hello-echo-request-graphql": {schema: helloSchema(), reply: echoRequest},
		"/user-graphql":               {schema: userSchema()},
		"/country-graphql":            {schema: countrySchema()},
		"/person-graphql":             {schema: personSchema()},
		"/character-iface-graphql":    {schema: characterSchema(), useVariables: true},
		"/union-graphql":              {schema: unionSchema()},
		"/default-value-echo-graphql": {schema: echoSchema(), editIntrospection: forceEnumDefault},
		"/header-graphql":             {schema: headerSchema()},
		"/messages-graphql":           {schema: messagesSchema()},
		"/auth-graphql":               {schema: authSchema(), headers: cookieHeaders},
		"/json-scalar-graphql":        {schema: jsonScalarSchema()},
		"/big":                        {schema: bigSchema(), headers: cookieHeaders},
	}
	for path, edit := range brokenInterfaces {
		eps[path] = &endpoint{schema: characterSchema(), editIntrospection: edit}
	}
	for path, edit := range brokenUnions {
		eps[path] = &endpoint{schema: unionSchema(), editIntrospection: edit}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hello" {
			if r.Method != http.MethodGet {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			_, _ = w.Write([]byte("hello world"))
			return
		}
		ep := eps[r.URL.Path]
		if ep == nil {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<h1> Not Found </h1>"))
			return
		}
		serveGraphQL(w, r, ep)
	})
}

var cookieHeaders = [][2]string{{"Set-Cookie", "abcd"}, {"Custom-Header", "custom-value"}}

func addExtensions(_ []byte, out map[string]any) {
	out["extensions"] = map[string]any{"message": "an extra field in response object"}
}

// echoRequest replaces data.hello with the request body the engine sent.
func echoRequest(raw []byte, out map[string]any) {
	var body any
	_ = json.Unmarshal(raw, &body)
	if data, ok := out["data"].(map[string]any); ok {
		data["hello"] = body
	}
}

func obj(name string, fields graphql.Fields) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: fields})
}

func mustSchema(cfg graphql.SchemaConfig) graphql.Schema {
	s, err := graphql.NewSchema(cfg)
	if err != nil {
		panic("remotegql: " + err.Error())
	}
	return s
}

func greeting(p graphql.ResolveParams) (any, error) { return "Hello " + p.Args["arg"].(string), nil }

var worldArg = graphql.FieldConfigArgument{"arg": {Type: graphql.String, DefaultValue: "world"}}

func helloSchema() graphql.Schema {
	hello := obj("Hello", graphql.Fields{
		"hello": {Type: graphql.String, Args: worldArg, Resolve: greeting},
		"delayedHello": {Type: graphql.String, Args: worldArg, Resolve: func(p graphql.ResolveParams) (any, error) {
			select {
			case <-time.After(10 * time.Second):
			case <-p.Context.Done():
				return nil, p.Context.Err()
			}
			return greeting(p)
		}},
	})
	return mustSchema(graphql.SchemaConfig{Query: hello, Subscription: hello})
}

type user struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// userList is what one server's /user-graphql serves and appends to: a
// server (the conformance runner's one, like the Python process) keeps it
// across requests, and servers started side by side in tests do not share
// it.
type userList struct {
	sync.Mutex
	list []user
}

func userSchema() graphql.Schema {
	users := &userList{list: []user{{1, "jane"}, {2, "john"}, {3, "joe"}}}
	userT := obj("User", graphql.Fields{
		"id":       {Type: graphql.Int},
		"username": {Type: graphql.String},
		"generateError": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) {
			return nil, errors.New(`Cannot query field "generateError" on type "User".`)
		}},
	})
	details := graphql.NewInputObject(graphql.InputObjectConfig{Name: "UserDetailsInput", Fields: graphql.InputObjectConfigFieldMap{
		"id": {Type: graphql.NewNonNull(graphql.Int)}, "username": {Type: graphql.NewNonNull(graphql.String)}}})
	created := func(name string) *graphql.Object {
		return obj(name, graphql.Fields{"ok": {Type: graphql.Boolean}, "user": {Type: userT}})
	}
	add := func(id int, name string) (any, error) {
		users.Lock()
		defer users.Unlock()
		u := user{id, name}
		users.list = append(users.list, u)
		return map[string]any{"ok": true, "user": u}, nil
	}
	query := obj("UserQuery", graphql.Fields{
		"user": {Type: userT, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.Int)},
			"userInfo": {Type: graphql.NewList(details)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				users.Lock()
				defer users.Unlock()
				for _, u := range users.list {
					if u.ID == p.Args["id"].(int) {
						return u, nil
					}
				}
				return nil, nil
			}},
		"allUsers": {Type: graphql.NewList(userT), Resolve: func(graphql.ResolveParams) (any, error) {
			users.Lock()
			defer users.Unlock()
			return append([]user(nil), users.list...), nil
		}},
	})
	mutation := obj("UserMutation", graphql.Fields{
		"createUser": {Type: created("CreateUser"), Args: graphql.FieldConfigArgument{
			"id": {Type: graphql.NewNonNull(graphql.Int)}, "username": {Type: graphql.NewNonNull(graphql.String)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return add(p.Args["id"].(int), p.Args["username"].(string))
			}},
		"createUserInputObj": {Type: created("CreateUserInputObject"), Args: graphql.FieldConfigArgument{
			"userData": {Type: graphql.NewNonNull(details)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				d := p.Args["userData"].(map[string]any)
				return add(d["id"].(int), d["username"].(string))
			}},
	})
	return mustSchema(graphql.SchemaConfig{Query: query, Mutation: mutation})
}

func constant(v any) graphql.FieldResolveFn {
	return func(graphql.ResolveParams) (any, error) { return v, nil }
}

func countrySchema() graphql.Schema {
	country := obj("Country", graphql.Fields{"name": {Type: graphql.String}})
	return mustSchema(graphql.SchemaConfig{Query: obj("CountryQuery", graphql.Fields{
		"country": {Type: country, Resolve: constant(map[string]any{"name": "India"})}})})
}

func personSchema() graphql.Schema {
	ts := graphql.NewScalar(graphql.ScalarConfig{Name: "timestamptz",
		Serialize:    func(any) any { return "2018-12-20" },
		ParseValue:   func(v any) any { return v },
		ParseLiteral: func(ast.Value) any { return "2018-12-20" }})
	person := obj("person", graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.Int)}, "name": {Type: graphql.String}, "created": {Type: ts}})
	return mustSchema(graphql.SchemaConfig{Query: obj("PersonQuery", graphql.Fields{
		"person_": {Type: person, Resolve: constant(map[string]any{"id": 42, "name": "Arthur Dent", "created": "2018-12-20"})}})})
}

func headerSchema() graphql.Schema {
	return mustSchema(graphql.SchemaConfig{Query: obj("HeaderTest", graphql.Fields{
		"wassup": {Type: graphql.String, Args: worldArg, Resolve: func(p graphql.ResolveParams) (any, error) {
			if err := checkForwardedHeaders(requestOf(p.Context)); err != nil {
				return nil, err
			}
			return greeting(p)
		}}})})
}

// checkForwardedHeaders is /header-graphql's test: the configured header
// wins over the client's, each once, with the session and client headers.
func checkForwardedHeaders(r *http.Request) error {
	if r == nil {
		return errors.New("no request")
	}
	want := map[string]string{"Authorization": "Bearer abcdef", "Content-Type": "application/json",
		"X-Hasura-Role": "user", "X-Hasura-Test": "abcd", "X-Hasura-User-Id": "abcd1234"}
	for name, value := range want {
		got := r.Header.Values(name)
		if len(got) != 1 || got[0] != value {
			return errors.New("Header " + name + " doesn't match: " + jsonText(got))
		}
	}
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func messagesSchema() graphql.Schema {
	msg := obj("Message", graphql.Fields{"id": {Type: graphql.Int}, "msg": {Type: graphql.String}})
	data := []map[string]any{{"id": 1, "msg": "You win!"}, {"id": 2, "msg": "You lose!"}}
	return mustSchema(graphql.SchemaConfig{Query: obj("MessagesQuery", graphql.Fields{
		"message": {Type: msg, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.Int)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				for _, m := range data {
					if m["id"] == p.Args["id"] {
						return m, nil
					}
				}
				return nil, nil
			}},
		"messages": {Type: graphql.NewList(msg), Resolve: constant(data)},
	})})
}

func authSchema() graphql.Schema {
	q := obj("SampleAuth", graphql.Fields{"hello": {Type: graphql.String, Args: worldArg, Resolve: greeting}})
	return mustSchema(graphql.SchemaConfig{Query: q, Subscription: q})
}

func jsonScalarSchema() graphql.Schema {
	j := graphql.NewScalar(graphql.ScalarConfig{Name: "Json", Serialize: func(v any) any { return v },
		ParseValue: func(v any) any { return v }, ParseLiteral: func(ast.Value) any { return nil }})
	return mustSchema(graphql.SchemaConfig{Query: obj("JsonQuery", graphql.Fields{
		"jsonTest": {Type: j, Resolve: constant(map[string]any{`foo\`: "bar", `"foo"`: "bar"})}})})
}

func bigSchema() graphql.Schema {
	iface := graphql.NewInterface(graphql.InterfaceConfig{Name: "BigInterface",
		Fields: graphql.Fields{"hello": {Type: graphql.String}}})
	var big *graphql.Object
	big = graphql.NewObject(graphql.ObjectConfig{Name: "Big", Interfaces: []*graphql.Interface{iface},
		IsTypeOf: func(graphql.IsTypeOfParams) bool { return true },
		Fields: (graphql.FieldsThunk)(func() graphql.Fields {
			return graphql.Fields{
				"hello": {Type: graphql.String, Resolve: constant("Hello")},
				"big":   {Type: iface, Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }},
				"many": {Type: graphql.NewList(iface), Args: graphql.FieldConfigArgument{"arg": {Type: graphql.Int, DefaultValue: 10}},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						n := p.Args["arg"].(int)
						out := make([]any, max(n, 0))
						for i := range out {
							out[i] = p.Source
						}
						return out, nil
					}},
			}
		})})
	return mustSchema(graphql.SchemaConfig{Query: obj("BigQuery", graphql.Fields{
		"start": {Type: big, Resolve: constant(map[string]any{})}}), Types: []graphql.Type{big}})
}
