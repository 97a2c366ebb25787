package authz

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// session turns verified claims into a session, choosing the role from the
// X-Hasura-Role header (which must be an allowed role) or the default role.
func (v *JWTVerifier) session(claims jwt.MapClaims, requestedRole string) (Session, error) {
	hasura, err := v.hasuraClaims(map[string]any(claims))
	if err != nil {
		return Session{}, err
	}
	rawAllowed, ok := hasura["x-hasura-allowed-roles"]
	if !ok {
		return Session{}, claimsErr("JWT claim does not contain x-hasura-allowed-roles")
	}
	list, ok := rawAllowed.([]any)
	if !ok {
		return Session{}, claimsErr("x-hasura-allowed-roles should be a list of roles")
	}
	allowed := map[string]bool{}
	for _, r := range list {
		s, ok := r.(string)
		if !ok {
			return Session{}, claimsErr("x-hasura-allowed-roles should be a list of roles")
		}
		allowed[s] = true
	}
	def, ok := hasura["x-hasura-default-role"].(string)
	if !ok {
		return Session{}, claimsErr("JWT claim does not contain x-hasura-default-role")
	}
	role := def
	if requestedRole != "" {
		if !allowed[requestedRole] {
			return Session{}, &Error{Status: 400, Code: "access-denied", Message: "Your requested role is not in allowed roles"}
		}
		role = requestedRole
	}
	vars := map[string]string{}
	for k, val := range hasura {
		if !strings.HasPrefix(k, "x-hasura-") || k == "x-hasura-allowed-roles" || k == "x-hasura-default-role" || k == "x-hasura-role" {
			continue
		}
		vars[k] = sessionValue(val)
	}
	return Session{Role: role, Vars: vars}, nil
}

func claimsErr(msg string) error {
	return &Error{Status: 400, Code: "jwt-invalid-claims", Message: msg}
}

// hasuraClaims finds the x-hasura-* claims: through claims_map, or under the
// namespace (a key or a JSON path), possibly as stringified JSON.
func (v *JWTVerifier) hasuraClaims(claims map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if len(v.claimsMap) > 0 {
		for name, rule := range v.claimsMap {
			if rule.path == nil {
				out[name] = rule.literal
				continue
			}
			val, ok := rule.path.lookup(claims)
			if !ok {
				if rule.def == nil {
					continue
				}
				val = rule.def
			}
			out[name] = val
		}
		return out, nil
	}
	var ns any
	var ok bool
	name := v.cfg.ClaimsNamespace
	if v.nsPath != nil {
		name = v.cfg.ClaimsNamespacePath
		ns, ok = v.nsPath.lookup(claims)
	} else {
		ns, ok = claims[name]
	}
	if !ok {
		return nil, claimsErr(fmt.Sprintf("claims key: '%s' not found", name))
	}
	if s, isStr := ns.(string); isStr && v.cfg.ClaimsFormat == "stringified_json" {
		if err := json.Unmarshal([]byte(s), &ns); err != nil {
			return nil, claimsErr("the claims are not valid stringified JSON")
		}
	}
	m, ok := ns.(map[string]any)
	if !ok {
		return nil, claimsErr(fmt.Sprintf("claims key: '%s' should contain a JSON object", name))
	}
	for k, val := range m {
		out[strings.ToLower(k)] = val
	}
	return out, nil
}

// sessionValue renders a claim as a session variable: strings as they are,
// lists in Postgres array literal form (for _in filters), the rest as JSON.
func sessionValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			s := sessionValue(x)
			parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		return "{" + strings.Join(parts, ",") + "}"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
