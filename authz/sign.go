package authz

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenSpec is the session a token made by SignToken carries.
type TokenSpec struct {
	Role         string            // x-hasura-default-role
	AllowedRoles []string          // x-hasura-allowed-roles; Role is always one of them
	UserID       string            // x-hasura-user-id and sub; empty: neither
	Claims       map[string]string // more x-hasura-* session variables
	Expires      time.Duration     // exp is iat plus this; zero: no exp
}

// ErrCannotSign is returned for configs without a key SignToken can sign
// with: only an HS key is both the verifier's and the signer's.
var ErrCannotSign = errors.New("cannot sign tokens for this JWT config")

// reservedClaims are set from TokenSpec's fields, never from Claims.
var reservedClaims = map[string]string{
	"x-hasura-default-role":  "Role",
	"x-hasura-allowed-roles": "AllowedRoles",
	"x-hasura-role":          "Role",
}

// SignToken signs a token with the HS key of a HASURA_GRAPHQL_JWT_SECRET
// config, placing the claims where that config reads them (claims_map paths,
// claims_namespace_path or claims_namespace, as JSON or stringified JSON) and
// setting its issuer and audience, so that a verifier with the same config
// accepts it. It is for development: real tokens come from an identity
// provider.
func SignToken(rawConfig string, spec TokenSpec, now time.Time) (string, error) {
	var cfg JWTConfig
	if err := json.Unmarshal([]byte(rawConfig), &cfg); err != nil {
		return "", fmt.Errorf("JWT config is not valid JSON: %w", err)
	}
	if cfg.JWKURL != "" {
		return "", fmt.Errorf("%w: it has jwk_url, so its tokens are signed by that issuer's private keys; only an HS256/HS384/HS512 \"key\" can sign here", ErrCannotSign)
	}
	method, ok := jwt.GetSigningMethod(cfg.Type).(*jwt.SigningMethodHMAC)
	if !ok {
		return "", fmt.Errorf("%w: type %q holds a public key, not the private key that signs; only HS256, HS384 or HS512 can sign here", ErrCannotSign, cfg.Type)
	}
	v, err := NewJWTVerifier(rawConfig)
	if err != nil {
		return "", fmt.Errorf("JWT config: %w", err)
	}
	if spec.Role == "" {
		return "", errors.New("a role is required")
	}
	hasura, err := spec.hasuraClaims()
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{"iat": now.Unix()}
	if spec.UserID != "" {
		claims["sub"] = spec.UserID
	}
	if spec.Expires > 0 {
		claims["exp"] = now.Add(spec.Expires).Unix()
	}
	if v.cfg.Issuer != "" {
		claims["iss"] = v.cfg.Issuer
	}
	if len(v.audiences) > 0 {
		claims["aud"] = v.audiences[0]
	}
	if err := v.placeClaims(claims, hasura); err != nil {
		return "", err
	}
	return jwt.NewWithClaims(method, claims).SignedString(v.key)
}

// hasuraClaims are the x-hasura-* claims of spec, lower-case as the
// verifier reads them.
func (spec TokenSpec) hasuraClaims() (map[string]any, error) {
	allowed := []any{spec.Role}
	for _, r := range spec.AllowedRoles {
		if r != "" && r != spec.Role {
			allowed = append(allowed, r)
		}
	}
	out := map[string]any{"x-hasura-default-role": spec.Role, "x-hasura-allowed-roles": allowed}
	for k, val := range spec.Claims {
		k = strings.ToLower(k)
		if !strings.HasPrefix(k, "x-hasura-") {
			return nil, fmt.Errorf("claim %q: session variables start with x-hasura-", k)
		}
		if field, ok := reservedClaims[k]; ok {
			return nil, fmt.Errorf("claim %q is set from %s", k, field)
		}
		out[k] = val
	}
	if spec.UserID != "" {
		if prev, ok := out["x-hasura-user-id"]; ok && prev != spec.UserID {
			return nil, fmt.Errorf("x-hasura-user-id given twice (%q and %q)", prev, spec.UserID)
		}
		out["x-hasura-user-id"] = spec.UserID
	}
	return out, nil
}

// placeClaims puts the x-hasura-* claims into the token's claims where the
// verifier's config looks for them.
func (v *JWTVerifier) placeClaims(claims jwt.MapClaims, hasura map[string]any) error {
	if len(v.claimsMap) > 0 {
		for name, val := range hasura {
			rule, ok := v.claimsMap[name]
			if !ok {
				return fmt.Errorf("claims_map has no rule for %s, so a token cannot carry it", name)
			}
			if rule.path == nil {
				continue // a literal: the verifier supplies it
			}
			if err := rule.path.set(claims, val); err != nil {
				return fmt.Errorf("claims_map.%s: %w", name, err)
			}
		}
		return nil
	}
	var ns any = hasura
	if v.cfg.ClaimsFormat == "stringified_json" {
		b, err := json.Marshal(hasura)
		if err != nil {
			return fmt.Errorf("encode claims: %w", err)
		}
		ns = string(b)
	}
	if v.nsPath != nil {
		if err := v.nsPath.set(claims, ns); err != nil {
			return fmt.Errorf("claims_namespace_path: %w", err)
		}
		return nil
	}
	claims[v.cfg.ClaimsNamespace] = ns
	return nil
}

// set stores val at the path, creating the objects on the way. Array
// indexes cannot be built: which elements would come before?
func (p jsonPath) set(root map[string]any, val any) error {
	if len(p) == 0 {
		return errors.New("the path $ is the whole token, not a place for a claim")
	}
	cur := root
	for i, step := range p {
		key, ok := step.(string)
		if !ok {
			return fmt.Errorf("a token cannot be built for a path with an array index ([%v])", step)
		}
		if i == len(p)-1 {
			cur[key] = val
			return nil
		}
		next, exists := cur[key]
		if !exists {
			m := map[string]any{}
			cur[key] = m
			cur = m
			continue
		}
		if cur, ok = next.(map[string]any); !ok {
			return fmt.Errorf("%q is already a claim of its own", key)
		}
	}
	return nil
}
