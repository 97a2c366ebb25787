// Package authz resolves who a request runs as: a session (role plus
// x-hasura-* variables) from the admin secret, a JWT, an auth webhook or the
// unauthorized role.
package authz

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// AdminRole is the role that bypasses permissions.
const AdminRole = "admin"

// Session is a role and its session variables (lower-case x-hasura-* names).
type Session struct {
	Role string
	Vars map[string]string
	// Expires is when the credential behind the session ends (a JWT's exp);
	// zero when it does not. Long-lived connections close then.
	Expires time.Time
	// BackendOnly: an admin-secret request asked for backend_only
	// permissions (X-Hasura-Use-Backend-Only-Permissions: true).
	BackendOnly bool
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

// Resolver turns request headers into a session, in Hasura's order: a
// valid admin secret first, then the JWT or the auth webhook when one is
// configured, then the unauthorized role.
type Resolver struct {
	AdminSecrets     []string // any one of them is accepted (rotation)
	UnauthorizedRole string
	JWT              *JWTVerifier
	Webhook          *Webhook
}

// Resolve resolves a session from headers alone.
func (r *Resolver) Resolve(h http.Header) (Session, error) {
	return r.ResolveRequest(context.Background(), h, nil)
}

// ResolveRequest resolves a session; body is the GraphQL request, which the
// auth webhook receives in POST mode.
func (r *Resolver) ResolveRequest(ctx context.Context, h http.Header, body []byte) (Session, error) {
	vars := sessionVars(h)
	role := vars["x-hasura-role"]
	delete(vars, "x-hasura-role")
	given := headerValue(h, "X-Hasura-Admin-Secret")
	if given == "" {
		given = headerValue(h, "X-Hasura-Access-Key")
	}
	if len(r.AdminSecrets) == 0 && r.JWT == nil && r.Webhook == nil {
		// Development mode: no credentials configured, headers are trusted.
		if role == "" {
			role = AdminRole
		}
		backend, err := backendOnlyHeader(h)
		delete(vars, "x-hasura-use-backend-only-permissions")
		return Session{Role: role, Vars: vars, BackendOnly: backend}, err
	}
	if given != "" {
		if !r.secretMatches(given) {
			return Session{}, &Error{Status: http.StatusUnauthorized, Code: "access-denied",
				Message: "invalid x-hasura-admin-secret/x-hasura-access-key"}
		}
		if role == "" {
			role = AdminRole
		}
		backend, err := backendOnlyHeader(h)
		delete(vars, "x-hasura-use-backend-only-permissions")
		return Session{Role: role, Vars: vars, BackendOnly: backend}, err
	}
	switch {
	case r.JWT != nil:
		tok, err := r.JWT.token(h)
		if err != nil {
			return Session{}, err
		}
		if tok == "" {
			if r.UnauthorizedRole != "" {
				return Session{Role: r.UnauthorizedRole, Vars: map[string]string{}}, nil
			}
			return Session{}, &Error{Status: 400, Code: "invalid-headers",
				Message: "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"}
		}
		claims, exp, err := r.JWT.verify(ctx, tok)
		if err != nil {
			return Session{}, err
		}
		s, err := r.JWT.session(claims, role)
		s.Expires = exp
		return s, err
	case r.Webhook != nil:
		return r.Webhook.resolve(ctx, h, body)
	case r.UnauthorizedRole != "":
		return Session{Role: r.UnauthorizedRole, Vars: map[string]string{}}, nil
	}
	return Session{}, &Error{Status: http.StatusUnauthorized, Code: "access-denied",
		Message: "invalid x-hasura-admin-secret/x-hasura-access-key"}
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

// headerValue is h.Get(key) for a key already in canonical form, which
// h.Get would check character by character on every request.
func headerValue(h http.Header, canonicalKey string) string {
	if vs := h[canonicalKey]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// sessionVars collects x-hasura-* headers, lower-cased, without credentials.
func sessionVars(h http.Header) map[string]string {
	const prefix = "x-hasura-"
	vars := map[string]string{}
	for k, vs := range h {
		// Only x-hasura-* names are lower-cased (a copy each): the other
		// headers of every request are skipped without one.
		if len(k) < len(prefix) || k[0]|0x20 != 'x' || !strings.EqualFold(k[:len(prefix)], prefix) || len(vs) == 0 ||
			strings.EqualFold(k, "x-hasura-admin-secret") || strings.EqualFold(k, "x-hasura-access-key") {
			continue
		}
		vars[strings.ToLower(k)] = vs[0]
	}
	return vars
}

// backendOnlyHeader reads X-Hasura-Use-Backend-Only-Permissions as Hasura
// parses a boolean header: a value that is not one is a bad request.
func backendOnlyHeader(h http.Header) (bool, error) {
	v := strings.ToLower(headerValue(h, "X-Hasura-Use-Backend-Only-Permissions"))
	switch v {
	case "", "false", "f", "no", "n":
		return false, nil
	case "true", "t", "yes", "y":
		return true, nil
	}
	return false, &Error{Status: http.StatusBadRequest, Code: "bad-request",
		Message: "x-hasura-use-backend-only-permissions:  Not a valid boolean text. True values are " +
			`["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive`}
}
