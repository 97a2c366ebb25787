package actionwebhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"time"
)

// handler answers one path.
type handler func(s *Server, r *http.Request, p *payload) reply

// handlers are the paths of HELPERS.md section A.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"/create-user":         (*Server).createUser,
		"/create-user-timeout": func(s *Server, r *http.Request, p *payload) reply { return s.createUserTimeout(r, p) },
		"/create-users":        (*Server).createUsers,
		"/create-user-nested": func(s *Server, r *http.Request, p *payload) reply {
			res := s.createUser(r, p)
			if res.status != http.StatusOK {
				return res
			}
			return ok(`{"userObj":` + string(res.body) + `}`)
		},
		"/mirror-action":  func(_ *Server, _ *http.Request, p *payload) reply { return ok(orNull(p.Input["arg"])) },
		"/mirror-headers": func(_ *Server, r *http.Request, _ *payload) reply { return headersReply(r) },
		"/get-user-by-email": func(s *Server, r *http.Request, p *payload) reply {
			return s.usersByEmail(r, p, func(ids []json.RawMessage) reply { return ok(first(ids)) })
		},
		"/get-users-by-email": func(s *Server, r *http.Request, p *payload) reply {
			return s.usersByEmail(r, p, func(ids []json.RawMessage) reply { return ok(list(ids)) })
		},
		"/get-user-by-email-nested": func(s *Server, r *http.Request, p *payload) reply {
			return s.usersByEmail(r, p, func(ids []json.RawMessage) reply { return ok(nested(first(ids))) })
		},
		"/get-users-by-email-nested": func(s *Server, r *http.Request, p *payload) reply {
			return s.usersByEmail(r, p, func(ids []json.RawMessage) reply {
				out := make([]json.RawMessage, len(ids))
				for i, id := range ids {
					out[i] = json.RawMessage(nested(string(id)))
				}
				return ok(list(out))
			})
		},
		"/intentional-error": func(_ *Server, _ *http.Request, p *payload) reply {
			return reply{status: http.StatusBadRequest, body: json.RawMessage(orNull(p.Input["blob"]))}
		},
		"/null-response":                 static(`null`),
		"/omitted-response-field":        static(`{"country":"India"}`),
		"/scalar-response":               static(`"some-string"`),
		"/json-response":                 static(`{"foo":"bar"}`),
		"/custom-scalar-array-response":  static(`[{"foo":"bar"}]`),
		"/scalar-array-response":         static(`["foo","bar",null]`),
		"/recursive-output":              static(recursiveOutput),
		"/get-results":                   static(`{"result_ids":[1,2,3,4]}`),
		"/typed-nested-null":             static(`{"id":1,"child":null}`),
		"/typed-nested-null-wrong-field": static(`{"id":null,"child":null}`),
		"/get_messages":                  static(`[{"content":"baz","user_name":"foo"},{"content":"foo","user_name":"bar"}]`),
	}
}

const recursiveOutput = `{"direct":{"id":1,"this":{"id":2,"this":{"id":3}}},` +
	`"list":{"id":1,"these":[{"id":2,"these":[{"id":3}]},{"id":4}]},` +
	`"mutual":{"id":1,"that":{"id":2,"other":{"id":3,"that":{"id":4}}}}}`

func static(body string) handler {
	return func(*Server, *http.Request, *payload) reply { return ok(body) }
}

// validEmail is the suite's email check.
var validEmail = regexp.MustCompile(`^\w+([.-]?\w+)*@\w+([.-]?\w+)*(\.\w{2,3})+$`)

func stringInput(p *payload, name string) string {
	var s string
	_ = json.Unmarshal(p.Input[name], &s)
	return s
}

func (s *Server) createUser(r *http.Request, p *payload) reply {
	email, name := stringInput(p, "email"), stringInput(p, "name")
	if !validEmail.MatchString(email) {
		return errReply("Given email address is not valid", "invalid-email")
	}
	data, err := s.graphql(r.Context(), `mutation ($email: String! $name: String!) { insert_user_one(object: {email: $email, name: $name}){ id } }`,
		map[string]string{"email": email, "name": name})
	if err != nil {
		return callbackFailed
	}
	return ok(orNull(data["insert_user_one"]))
}

// createUserTimeout is /create-user after 3 s, unless the engine gave up.
func (s *Server) createUserTimeout(r *http.Request, p *payload) reply {
	select {
	case <-time.After(3 * time.Second):
	case <-r.Context().Done():
		return callbackFailed
	}
	return s.createUser(r, p)
}

func (s *Server) createUsers(r *http.Request, p *payload) reply {
	var users []map[string]json.RawMessage
	_ = json.Unmarshal(p.Input["users"], &users)
	for _, u := range users {
		var email string
		_ = json.Unmarshal(u["email"], &email)
		if !validEmail.MatchString(email) {
			return errReply("Email address is not valid: "+email, "invalid-email")
		}
	}
	data, err := s.graphql(r.Context(), `mutation ($insert_inputs: [user_insert_input!]!){ insert_user(objects: $insert_inputs){ returning{ id } } }`,
		map[string]json.RawMessage{"insert_inputs": json.RawMessage(orNull(p.Input["users"]))})
	if err != nil {
		return callbackFailed
	}
	var res struct {
		Returning json.RawMessage `json:"returning"`
	}
	if json.Unmarshal(data["insert_user"], &res) != nil {
		return callbackFailed
	}
	return ok(orNull(res.Returning))
}

// usersByEmail looks the users with input.email up and lets done shape
// the reply from their {"id":N} objects.
func (s *Server) usersByEmail(r *http.Request, p *payload, done func([]json.RawMessage) reply) reply {
	email := stringInput(p, "email")
	if !validEmail.MatchString(email) {
		return errReply("Given email address is not valid", "invalid-email")
	}
	data, err := s.graphql(r.Context(), `query get_user($email:String!) { user(where:{email:{_eq:$email}},order_by: {id: asc}) { id } }`,
		map[string]string{"email": email})
	if err != nil {
		return callbackFailed
	}
	var ids []json.RawMessage
	if json.Unmarshal(data["user"], &ids) != nil {
		return callbackFailed
	}
	return done(ids)
}

// nested extends {"id":N} as /get-user-by-email-nested does, keys in order.
func nested(user string) string {
	var u struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal([]byte(user), &u)
	id := orNull(u.ID)
	return `{"id":` + id + `,"address":{"city":"New York","country":"USA"},` +
		`"addresses":[{"city":"Bangalore","country":"India"},{"city":"Melbourne","country":"Australia"}],` +
		`"user_id":{"id":` + id + `}}`
}

func first(items []json.RawMessage) string {
	if len(items) == 0 {
		return "null"
	}
	return string(items[0])
}

func list(items []json.RawMessage) string {
	b, _ := json.Marshal(items)
	if items == nil {
		return "[]"
	}
	return string(b)
}

func orNull(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
