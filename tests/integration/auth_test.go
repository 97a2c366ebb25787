package integration

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/graftql/graft/tests/testenv"
)

const hsKey = "a-very-secret-key-that-is-at-least-32-characters"

const profileSchema = `
CREATE TABLE profile (id int PRIMARY KEY, owner int NOT NULL, name text NOT NULL);
INSERT INTO profile VALUES (1, 1, 'ada'), (2, 2, 'grace'), (3, 1, 'ada-alt');`

// startAuth starts a server with the given auth options and a profile table
// that role "user" may read only where owner = X-Hasura-User-Id.
func startAuth(t *testing.T, o testenv.Options) *testenv.Server {
	t.Helper()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, profileSchema)
	s := testenv.Start(t, db, o)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "profile"}},
		map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "profile", "role": "user",
			"permission": map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{"owner": map[string]any{"_eq": "X-Hasura-User-Id"}}}}},
		map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "profile", "role": "anonymous",
			"permission": map[string]any{"columns": []string{"id"}, "filter": map[string]any{}}}},
	}})
	return s
}

// asUser posts a query with only the given headers (no admin secret).
func asUser(t *testing.T, s *testenv.Server, query string, headers map[string]string) *testenv.Response {
	t.Helper()
	return s.Post("/v1/graphql", map[string]any{"query": query}, headers)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func hasuraClaims(userID string, roles ...string) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": userID, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": roles, "x-hasura-default-role": roles[0], "x-hasura-user-id": userID,
		},
	}
}

func signHS(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(hsKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthJWTHS256(t *testing.T) {
	t.Parallel()
	s := startAuth(t, testenv.Options{JWTSecret: `{"type":"HS256","key":"` + hsKey + `"}`, UnauthorizedRole: "anonymous"})
	q := `{ profile(order_by: {id: asc}) { id } }`
	mustBody(t, asUser(t, s, q, bearer(signHS(t, hasuraClaims("1", "user", "anonymous")))),
		`{"data":{"profile":[{"id":1},{"id":3}]}}`)
	// X-Hasura-Role picks another allowed role; a role outside the list is denied.
	h := bearer(signHS(t, hasuraClaims("1", "user", "anonymous")))
	h["X-Hasura-Role"] = "anonymous"
	mustBody(t, asUser(t, s, q, h), `{"data":{"profile":[{"id":1},{"id":2},{"id":3}]}}`)
	h["X-Hasura-Role"] = "admin"
	mustErrorCode(t, asUser(t, s, q, h), "access-denied")
	// No token: the unauthorized role.
	mustBody(t, asUser(t, s, q, nil), `{"data":{"profile":[{"id":1},{"id":2},{"id":3}]}}`)

	expired := hasuraClaims("1", "user")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	r := asUser(t, s, q, bearer(signHS(t, expired)))
	mustErrorCode(t, r, "invalid-jwt")
	if !strings.Contains(string(r.Body), "JWTExpired") {
		t.Fatalf("want JWTExpired, got %s", r.Body)
	}
	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, hasuraClaims("1", "user")).SignedString([]byte(strings.Repeat("x", 48)))
	mustErrorCode(t, asUser(t, s, q, bearer(wrongKey)), "invalid-jwt")
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, hasuraClaims("1", "user")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	mustErrorCode(t, asUser(t, s, q, bearer(none)), "invalid-jwt")
	mustErrorCode(t, asUser(t, s, q, map[string]string{"Authorization": "Token abc"}), "invalid-headers")
	noClaims := signHS(t, jwt.MapClaims{"sub": "1", "exp": time.Now().Add(time.Hour).Unix()})
	mustErrorCode(t, asUser(t, s, q, bearer(noClaims)), "jwt-invalid-claims")
	// The admin secret still works alongside JWT mode.
	mustBody(t, s.GraphQL(`{ profile_aggregate { aggregate { count } } }`, nil), `{"data":{"profile_aggregate":{"aggregate":{"count":3}}}}`)
}

func TestAuthJWTClaimsMap(t *testing.T) {
	t.Parallel()
	cfg := `{"type":"HS256","key":"` + hsKey + `","claims_map":{
	  "x-hasura-allowed-roles": {"path": "$.app.roles"},
	  "x-hasura-default-role": {"path": "$.app.roles[0]"},
	  "x-hasura-user-id": {"path": "$.app['user id']", "default": "2"}}}`
	s := startAuth(t, testenv.Options{JWTSecret: cfg})
	q := `{ profile(order_by: {id: asc}) { name } }`
	tok := signHS(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "app": map[string]any{"roles": []string{"user"}, "user id": "1"}})
	mustBody(t, asUser(t, s, q, bearer(tok)), `{"data":{"profile":[{"name":"ada"},{"name":"ada-alt"}]}}`)
	tok = signHS(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "app": map[string]any{"roles": []string{"user"}}})
	mustBody(t, asUser(t, s, q, bearer(tok)), `{"data":{"profile":[{"name":"grace"}]}}`)
}

// jwksServer serves a JWK set whose keys the test can rotate.
type jwksServer struct {
	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey
	hits atomic.Int32
	*httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	j := &jwksServer{keys: map[string]*rsa.PrivateKey{}}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.hits.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		var set jose.JSONWebKeySet
		for kid, k := range j.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		w.Header().Set("Cache-Control", "max-age=3600")
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) rotate(t *testing.T, kid string) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	j.mu.Lock()
	j.keys = map[string]*rsa.PrivateKey{kid: k}
	j.mu.Unlock()
	return k
}

func signRS(t *testing.T, k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthJWTRS256WithJWKSRotation(t *testing.T) {
	t.Parallel()
	jwks := newJWKSServer(t)
	k1 := jwks.rotate(t, "k1")
	s := startAuth(t, testenv.Options{JWTSecret: `{"type":"RS256","jwk_url":"` + jwks.URL + `","audience":["graft"],"issuer":"tests"}`})
	claims := func(user string) jwt.MapClaims {
		c := hasuraClaims(user, "user")
		c["aud"], c["iss"] = "graft", "tests"
		return c
	}
	q := `{ profile { name } }`
	mustBody(t, asUser(t, s, q, bearer(signRS(t, k1, "k1", claims("2")))), `{"data":{"profile":[{"name":"grace"}]}}`)
	mustBody(t, asUser(t, s, q, bearer(signRS(t, k1, "k1", claims("2")))), `{"data":{"profile":[{"name":"grace"}]}}`)
	if n := jwks.hits.Load(); n != 1 {
		t.Fatalf("JWK set fetched %d times, want 1 (cached by max-age)", n)
	}
	// Rotation: a token with an unknown kid makes Graft fetch the set again.
	k2 := jwks.rotate(t, "k2")
	mustBody(t, asUser(t, s, q, bearer(signRS(t, k2, "k2", claims("2")))), `{"data":{"profile":[{"name":"grace"}]}}`)
	if n := jwks.hits.Load(); n != 2 {
		t.Fatalf("JWK set fetched %d times after rotation, want 2", n)
	}
	wrongAud := claims("2")
	wrongAud["aud"] = "someone-else"
	mustErrorCode(t, asUser(t, s, q, bearer(signRS(t, k2, "k2", wrongAud))), "invalid-jwt")
	// An RS256 token signed with the right kid but the wrong key fails.
	mustErrorCode(t, asUser(t, s, q, bearer(signRS(t, k1, "k2", claims("2")))), "invalid-jwt")
}

func TestAuthWebhook(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"GET", "POST"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				token := r.Header.Get("Authorization")
				if mode == "POST" {
					var body struct {
						Headers map[string]string `json:"headers"`
						Request struct {
							Query string `json:"query"`
						} `json:"request"`
					}
					json.NewDecoder(r.Body).Decode(&body)
					token = body.Headers["Authorization"]
					if !strings.Contains(body.Request.Query, "profile") {
						w.WriteHeader(500)
						return
					}
				}
				switch token {
				case "Bearer one":
					w.Header().Set("Cache-Control", "max-age=300")
					json.NewEncoder(w).Encode(map[string]any{"X-Hasura-Role": "user", "X-Hasura-User-Id": 1})
				case "Bearer two":
					json.NewEncoder(w).Encode(map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "2"})
				default:
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			t.Cleanup(hook.Close)
			s := startAuth(t, testenv.Options{AuthHook: hook.URL, AuthHookMode: mode})
			q := `{ profile(order_by: {id: asc}) { id } }`
			for range 2 {
				mustBody(t, asUser(t, s, q, bearer("one")), `{"data":{"profile":[{"id":1},{"id":3}]}}`)
			}
			if n := hits.Load(); n != 1 {
				t.Fatalf("hook called %d times, want 1 (cached by max-age)", n)
			}
			for range 2 {
				mustBody(t, asUser(t, s, q, bearer("two")), `{"data":{"profile":[{"id":2}]}}`)
			}
			if n := hits.Load(); n != 3 {
				t.Fatalf("hook called %d times, want 3 (no caching headers)", n)
			}
			mustErrorCode(t, asUser(t, s, q, bearer("bad")), "access-denied")
		})
	}
}

func TestAuthSessionVariablesCannotInjectSQL(t *testing.T) {
	t.Parallel()
	s := startAuth(t, testenv.Options{})
	q := `{ profile { id } }`
	for _, evil := range []string{"1 OR 1=1", "1); DROP TABLE profile; --", "' OR ''='"} {
		r := s.GraphQL(q, nil, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": evil})
		if !strings.Contains(string(r.Body), "errors") && string(r.Body) != `{"data":{"profile":[]}}` {
			t.Fatalf("session value %q leaked rows: %s", evil, r.Body)
		}
	}
	mustBody(t, s.GraphQL(`{ profile_aggregate { aggregate { count } } }`, nil), `{"data":{"profile_aggregate":{"aggregate":{"count":3}}}}`)
}

func TestAuthJWTECDSAAndEdDSA(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
		return string(b)
	}
	for _, tc := range []struct {
		typ    string
		key    string
		method jwt.SigningMethod
		priv   any
	}{
		{"ES256", pemOf(&ecKey.PublicKey), jwt.SigningMethodES256, ecKey},
		{"Ed25519", pemOf(edPub), jwt.SigningMethodEdDSA, edPriv},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			t.Parallel()
			s := startAuth(t, testenv.Options{JWTSecret: `{"type":"` + tc.typ + `","key":` + tc.key + `}`})
			tok, err := jwt.NewWithClaims(tc.method, hasuraClaims("2", "user")).SignedString(tc.priv)
			if err != nil {
				t.Fatal(err)
			}
			mustBody(t, asUser(t, s, `{ profile { name } }`, bearer(tok)), `{"data":{"profile":[{"name":"grace"}]}}`)
			forged := signHS(t, hasuraClaims("2", "user")) // HS256 is not the configured algorithm
			mustErrorCode(t, asUser(t, s, `{ profile { name } }`, bearer(forged)), "invalid-jwt")
		})
	}
}

func TestAuthJWTExpiryClosesWebSocket(t *testing.T) {
	t.Parallel()
	s := startAuth(t, testenv.Options{JWTSecret: `{"type":"HS256","key":"` + hsKey + `"}`})
	claims := hasuraClaims("1", "user")
	claims["exp"] = time.Now().Add(4 * time.Second).Unix() // room for a slow CI machine to ack and subscribe first
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"Authorization": "Bearer " + signHS(t, claims)}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { profile { id } }`}})
	c.expect("next", "1", `{"data":{"profile":[{"id":1},{"id":3}]}}`)
	// The token's expiry ends the connection.
	if code := c.closeCode(); code != 4403 {
		t.Fatalf("close code %d, want 4403 when the JWT expires", code)
	}
}
