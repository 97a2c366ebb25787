package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/graftql/graft/authz"
)

const devSecret = `{"type":"HS256","key":"graft-cmd-test-key-at-least-32-characters"}`

// runJWT runs `graft jwt args...` with env as its environment.
func runJWT(env map[string]string, args ...string) (string, error) {
	cmd := newJWTCmd(func(k string) string { return env[k] })
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestJWTCommandPrintsATokenServeAccepts(t *testing.T) {
	out, err := runJWT(map[string]string{"HASURA_GRAPHQL_JWT_SECRET": devSecret},
		"--role", "user", "--user-id", "42", "--claim", "x-hasura-org-id=1")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSuffix(out, "\n")
	if strings.Count(token, ".") != 2 || strings.ContainsAny(token, " \n") {
		t.Fatalf("output %q is not one token on one line", out)
	}
	v, err := authz.NewJWTVerifier(devSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := &authz.Resolver{AdminSecrets: []string{"s"}, JWT: v}
	s, err := r.Resolve(http.Header{"Authorization": {"Bearer " + token}})
	if err != nil || s.Role != "user" || s.Vars["x-hasura-user-id"] != "42" || s.Vars["x-hasura-org-id"] != "1" {
		t.Fatalf("session %+v, %v", s, err)
	}
}

func TestJWTCommandRefusesWhatItCannotSign(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want []string
	}{
		{map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"RS256","key":"-----BEGIN PUBLIC KEY-----"}`}, nil,
			[]string{"HASURA_GRAPHQL_JWT_SECRET", `"RS256"`, "HS256"}},
		{map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"RS256","jwk_url":"https://issuer.example/jwks.json"}`}, nil,
			[]string{"HASURA_GRAPHQL_JWT_SECRET", "jwk_url"}},
		{map[string]string{"HASURA_GRAPHQL_JWT_SECRET": devSecret}, []string{"--jwt-secret", `{"type":"EdDSA","key":"x"}`},
			[]string{"--jwt-secret", `"EdDSA"`}},
		{nil, nil, []string{"HASURA_GRAPHQL_JWT_SECRET is not set"}},
		{map[string]string{"HASURA_GRAPHQL_JWT_SECRET": devSecret}, []string{"--claim", "x-hasura-org-id"},
			[]string{"--claim", "name=value"}},
	} {
		args := append([]string{"--role", "user"}, c.args...)
		out, err := runJWT(c.env, args...)
		if err == nil || out != "" {
			t.Errorf("env %v args %v: printed %q, error %v: want a refusal", c.env, args, out, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("env %v args %v: error %q does not say %s", c.env, args, err, w)
			}
		}
	}
	if _, err := runJWT(map[string]string{"HASURA_GRAPHQL_JWT_SECRET": devSecret}); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("without --role: %v", err)
	}
}
