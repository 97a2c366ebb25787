package authz

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTConfig is HASURA_GRAPHQL_JWT_SECRET, field for field.
type JWTConfig struct {
	Type                string                     `json:"type"`
	Key                 string                     `json:"key"`
	JWKURL              string                     `json:"jwk_url"`
	ClaimsNamespace     string                     `json:"claims_namespace"`
	ClaimsNamespacePath string                     `json:"claims_namespace_path"`
	ClaimsFormat        string                     `json:"claims_format"`
	ClaimsMap           map[string]json.RawMessage `json:"claims_map"`
	Audience            json.RawMessage            `json:"audience"`
	Issuer              string                     `json:"issuer"`
	AllowedSkew         *int                       `json:"allowed_skew"`
	Header              *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"header"`
}

// JWTVerifier checks tokens and turns their claims into sessions.
type JWTVerifier struct {
	cfg       JWTConfig
	parser    *jwt.Parser
	key       any // static key; nil with jwk_url
	jwks      *jwksCache
	audiences []string
	nsPath    jsonPath
	claimsMap map[string]claimRule
}

type claimRule struct {
	path    jsonPath
	def     any
	literal any
}

// NewJWTVerifier parses HASURA_GRAPHQL_JWT_SECRET.
func NewJWTVerifier(raw string) (*JWTVerifier, error) {
	v := &JWTVerifier{claimsMap: map[string]claimRule{}}
	if err := json.Unmarshal([]byte(raw), &v.cfg); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	c := &v.cfg
	switch {
	case c.JWKURL != "":
		v.jwks = newJWKSCache(c.JWKURL)
	case c.Key == "":
		return nil, errors.New(`"key" or "jwk_url" is required`)
	case strings.HasPrefix(c.Type, "HS"):
		if len(c.Key) < 32 {
			return nil, errors.New("the HS key must be at least 32 characters")
		}
		v.key = []byte(c.Key)
	default:
		k, err := parsePublicKey(c.Type, c.Key)
		if err != nil {
			return nil, err
		}
		v.key = k
	}
	opts := []jwt.ParserOption{jwt.WithIssuedAt()}
	if c.Type != "" {
		alg := c.Type
		if alg == "Ed25519" {
			alg = "EdDSA"
		}
		opts = append(opts, jwt.WithValidMethods([]string{alg}))
	} else {
		opts = append(opts, jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"}))
	}
	if c.AllowedSkew != nil {
		opts = append(opts, jwt.WithLeeway(time.Duration(*c.AllowedSkew)*time.Second))
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	v.parser = jwt.NewParser(opts...)
	if len(c.Audience) > 0 {
		var one string
		if json.Unmarshal(c.Audience, &one) == nil {
			v.audiences = []string{one}
		} else if err := json.Unmarshal(c.Audience, &v.audiences); err != nil {
			return nil, errors.New(`"audience" must be a string or a list of strings`)
		}
	}
	if c.ClaimsNamespace == "" {
		c.ClaimsNamespace = "https://hasura.io/jwt/claims"
	}
	if c.ClaimsNamespacePath != "" {
		p, err := parseJSONPath(c.ClaimsNamespacePath)
		if err != nil {
			return nil, err
		}
		v.nsPath = p
	}
	for name, rule := range c.ClaimsMap {
		var r struct {
			Path    string `json:"path"`
			Default any    `json:"default"`
		}
		if json.Unmarshal(rule, &r) == nil && r.Path != "" {
			p, err := parseJSONPath(r.Path)
			if err != nil {
				return nil, err
			}
			v.claimsMap[strings.ToLower(name)] = claimRule{path: p, def: r.Default}
			continue
		}
		var lit any
		if err := json.Unmarshal(rule, &lit); err != nil {
			return nil, fmt.Errorf("claims_map.%s: %w", name, err)
		}
		v.claimsMap[strings.ToLower(name)] = claimRule{literal: lit}
	}
	return v, nil
}

func parsePublicKey(typ, key string) (any, error) {
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return nil, errors.New(`"key" must be a PEM public key or certificate`)
	}
	if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
		return cert.PublicKey, nil
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("cannot parse the %s key", typ)
}

// token extracts the token from the configured header or cookie.
func (v *JWTVerifier) token(h http.Header) (string, error) {
	if v.cfg.Header != nil && strings.EqualFold(v.cfg.Header.Type, "Cookie") {
		req := http.Request{Header: h}
		c, err := req.Cookie(v.cfg.Header.Name)
		if err != nil {
			return "", nil
		}
		return c.Value, nil
	}
	auth := h.Get("Authorization")
	if auth == "" {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", &Error{Status: 400, Code: "invalid-headers", Message: "Malformed Authorization header"}
	}
	return strings.TrimSpace(tok), nil
}

// verify checks the signature and registered claims; it returns the claims
// and the token's expiry (zero when it has none).
func (v *JWTVerifier) verify(ctx context.Context, token string) (jwt.MapClaims, time.Time, error) {
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if v.jwks != nil {
			kid, _ := t.Header["kid"].(string)
			return v.jwks.key(ctx, kid)
		}
		return v.key, nil
	})
	if err != nil {
		return nil, time.Time{}, &Error{Status: 400, Code: "invalid-jwt", Message: "Could not verify JWT: " + jwtReason(err)}
	}
	if len(v.audiences) > 0 {
		auds, _ := claims.GetAudience()
		if !overlaps(auds, v.audiences) {
			return nil, time.Time{}, &Error{Status: 400, Code: "invalid-jwt", Message: "Could not verify JWT: JWTNotInAudience"}
		}
	}
	var exp time.Time
	if e, _ := claims.GetExpirationTime(); e != nil {
		exp = e.Time
	}
	return claims, exp, nil
}

// jwtReason names the failure as Hasura does.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "JWTExpired"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "JWTNotInIssuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "JWTNotValidYet"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "JWSError JWSInvalidSignature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "JWSError (CompactDecodeError Invalid number of parts)"
	}
	return err.Error()
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
