package authz_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/authz"
)

const testKey = "0123456789abcdef0123456789abcdef-signing-test"

// resolve verifies token the way a request is: through a Resolver with a
// verifier built from config, as `graft serve` builds it.
func resolve(t *testing.T, config, token, role string) (authz.Session, error) {
	t.Helper()
	v, err := authz.NewJWTVerifier(config)
	if err != nil {
		t.Fatalf("verifier for %s: %v", config, err)
	}
	h := http.Header{"Authorization": {"Bearer " + token}}
	if role != "" {
		h.Set("X-Hasura-Role", role)
	}
	r := &authz.Resolver{AdminSecrets: []string{"admin-secret"}, JWT: v}
	return r.Resolve(h)
}

func TestSignedTokensVerifyWithTheSameConfig(t *testing.T) {
	spec := authz.TokenSpec{Role: "user", AllowedRoles: []string{"editor"}, UserID: "42",
		Claims: map[string]string{"X-Hasura-Org-Id": "1"}, Expires: time.Hour}
	want := map[string]string{"x-hasura-user-id": "42", "x-hasura-org-id": "1"}
	for name, config := range map[string]string{
		"default namespace":   `{"type":"HS256","key":"` + testKey + `"}`,
		"HS512":               `{"type":"HS512","key":"` + testKey + `"}`,
		"custom namespace":    `{"type":"HS256","key":"` + testKey + `","claims_namespace":"https://example.com/claims"}`,
		"stringified json":    `{"type":"HS384","key":"` + testKey + `","claims_format":"stringified_json"}`,
		"namespace path":      `{"type":"HS256","key":"` + testKey + `","claims_namespace_path":"$.app['hasura claims']"}`,
		"path, stringified":   `{"type":"HS256","key":"` + testKey + `","claims_namespace_path":"$.hasura","claims_format":"stringified_json"}`,
		"issuer and audience": `{"type":"HS256","key":"` + testKey + `","issuer":"graft-dev","audience":["other","graft"]}`,
		"claims map": `{"type":"HS256","key":"` + testKey + `","claims_map":{
			"x-hasura-default-role":{"path":"$.role"},
			"x-hasura-allowed-roles":{"path":"$.roles"},
			"x-hasura-user-id":{"path":"$.sub"},
			"x-hasura-org-id":{"path":"$.tenant.id"},
			"x-hasura-plan":"free"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			token, err := authz.SignToken(config, spec, now)
			if err != nil {
				t.Fatal(err)
			}
			s, err := resolve(t, config, token, "")
			if err != nil {
				t.Fatalf("token %s rejected: %v", token, err)
			}
			got := map[string]string{}
			for k, v := range s.Vars {
				if k != "x-hasura-plan" { // claims_map's literal, not the token's
					got[k] = v
				}
			}
			if s.Role != "user" || !reflect.DeepEqual(got, want) {
				t.Fatalf("session %+v, want role user and %v", s, want)
			}
			if d := s.Expires.Sub(now); d < 59*time.Minute || d > time.Hour+time.Second {
				t.Fatalf("expires in %v, want 1h", d)
			}
			if s, err = resolve(t, config, token, "editor"); err != nil || s.Role != "editor" {
				t.Fatalf("X-Hasura-Role editor: %+v, %v: the allowed roles must include it", s, err)
			}
			if _, err = resolve(t, config, token, "admin"); err == nil {
				t.Fatal("X-Hasura-Role admin accepted: the allowed roles must be user and editor only")
			}
		})
	}
}

func TestSignedTokensFailWhereTheyShould(t *testing.T) {
	config := `{"type":"HS256","key":"` + testKey + `"}`
	spec := authz.TokenSpec{Role: "user", UserID: "1", Expires: time.Hour}
	token, err := authz.SignToken(config, spec, time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(t, config, token, ""); err == nil || !strings.Contains(err.Error(), "JWTExpired") {
		t.Errorf("token that expired an hour ago: %v, want JWTExpired", err)
	}
	token, err = authz.SignToken(config, spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other := `{"type":"HS256","key":"another-key-another-key-another-key"}`
	if _, err := resolve(t, other, token, ""); err == nil || !strings.Contains(err.Error(), "JWSInvalidSignature") {
		t.Errorf("token checked with another key: %v, want an invalid signature", err)
	}
}

func TestSignTokenRefusesWhatItCannotSign(t *testing.T) {
	spec := authz.TokenSpec{Role: "user"}
	for config, want := range map[string]string{
		`{"type":"RS256","key":"-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----"}`: `type "RS256"`,
		`{"type":"ES256","key":"..."}`:                             `type "ES256"`,
		`{"type":"Ed25519","key":"..."}`:                           `type "Ed25519"`,
		`{"type":"RS256","jwk_url":"https://issuer.example/jwks"}`: "jwk_url",
		`{"key":"` + testKey + `"}`:                                `type ""`,
		`{"type":"HS256","jwk_url":"https://issuer.example/jwks"}`: "jwk_url",
	} {
		_, err := authz.SignToken(config, spec, time.Now())
		if !errors.Is(err, authz.ErrCannotSign) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want ErrCannotSign naming %s", config, err, want)
		}
	}
	for config, want := range map[string]string{
		`{"type":"HS256","key":"short"}`:                                                                    "at least 32 characters",
		`{"type":"HS256","key":"` + testKey + `","claims_namespace_path":"$.list[0]"}`:                      "array index",
		`{"type":"HS256","key":"` + testKey + `","claims_map":{"x-hasura-default-role":{"path":"$.role"}}}`: "no rule for x-hasura-allowed-roles",
	} {
		if _, err := authz.SignToken(config, spec, time.Now()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", config, err, want)
		}
	}
	config := `{"type":"HS256","key":"` + testKey + `"}`
	for _, claims := range []map[string]string{{"org-id": "1"}, {"x-hasura-default-role": "admin"}} {
		if _, err := authz.SignToken(config, authz.TokenSpec{Role: "user", Claims: claims}, time.Now()); err == nil {
			t.Errorf("claims %v accepted", claims)
		}
	}
}
