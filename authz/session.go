// Package authz resolves who a request runs as: a session (role plus
// x-hasura-* variables) from the admin secret and headers.
package authz

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// AdminRole is the role that bypasses permissions.
const AdminRole = "admin"

// Session is a role and its session variables (lower-case x-hasura-* names).
type Session struct {
	Role string
	Vars map[string]string
}

// IsAdmin reports whether the session runs with the admin role.
func (s Session) IsAdmin() bool { return s.Role == AdminRole }

// JSON is the session as Hasura passes it to SQL (hasura.user, session arguments).
func (s Session) JSON() string {
	m := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		m[k] = v
	}
	m["x-hasura-role"] = s.Role
	b, _ := json.Marshal(m)
	return string(b)
}

// Error is an authentication failure in Hasura's terms.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Resolver turns request headers into a session.
type Resolver struct {
	AdminSecrets     []string // any one of them is accepted (rotation)
	UnauthorizedRole string
}

// Resolve applies Hasura's admin-secret mode: with no secret configured the
// headers are trusted; with one, a matching X-Hasura-Admin-Secret lets the
// headers choose the role, and a missing one falls back to the
// unauthorized role when configured.
func (r *Resolver) Resolve(h http.Header) (Session, error) {
	vars := sessionVars(h)
	role := vars["x-hasura-role"]
	delete(vars, "x-hasura-role")
	if role == "" {
		role = AdminRole
	}
	if len(r.AdminSecrets) == 0 {
		return Session{Role: role, Vars: vars}, nil
	}
	given := h.Get("X-Hasura-Admin-Secret")
	if given == "" {
		given = h.Get("X-Hasura-Access-Key")
	}
	if given == "" && r.UnauthorizedRole != "" {
		return Session{Role: r.UnauthorizedRole, Vars: map[string]string{}}, nil
	}
	if !r.secretMatches(given) {
		return Session{}, &Error{Status: http.StatusUnauthorized, Code: "access-denied",
			Message: "invalid x-hasura-admin-secret/x-hasura-access-key"}
	}
	return Session{Role: role, Vars: vars}, nil
}

func (r *Resolver) secretMatches(given string) bool {
	ok := false
	for _, s := range r.AdminSecrets {
		if subtle.ConstantTimeCompare([]byte(s), []byte(given)) == 1 {
			ok = true
		}
	}
	return ok
}

// sessionVars collects x-hasura-* headers, lower-cased, without credentials.
func sessionVars(h http.Header) map[string]string {
	vars := map[string]string{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-hasura-") || lk == "x-hasura-admin-secret" || lk == "x-hasura-access-key" || len(vs) == 0 {
			continue
		}
		vars[lk] = vs[0]
	}
	return vars
}
