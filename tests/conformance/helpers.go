package conformance

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"time"
)

// Where the helper servers of HELPERS.md listen. The corpus mixes {{ENV}}
// templates with these literal addresses, so graft's env must name the same
// ones (HELPERS.md §0). The servers themselves are not started here yet:
// until they are, the cases that need them (MANIFEST `helpers`) fail, and
// they fail fast, since nothing listens on these ports and a refused
// connection answers at once.
const (
	actionWebhookURL   = "http://127.0.0.1:5593" // A. action webhook
	remoteSchemasURL   = "http://localhost:5000" // B. Python GraphQL server
	graphqlService1URL = "http://localhost:4020" // C. Node remote_schema_perms server
)

// helperCaseTimeout bounds the body of a case that needs a helper server
// (MANIFEST `helpers`). The slowest helper path the corpus uses answers
// after 3 s (/create-user-timeout).
const helperCaseTimeout = 20 * time.Second

// probeHelpers returns the helper addresses where nothing accepts a
// connection, so a run can say up front why the cases needing them fail.
func probeHelpers() []string {
	var down []string
	for _, base := range []string{actionWebhookURL, remoteSchemasURL, graphqlService1URL} {
		u, err := url.Parse(base)
		if err != nil {
			down = append(down, base)
			continue
		}
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			down = append(down, base)
			continue
		}
		conn.Close()
	}
	return down
}

// remoteSchemaPermsEnv is the engine setting some remote-schema entries
// require; it is set only for entries whose requirements name it.
const remoteSchemaPermsEnv = "HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS"

// helperEnvNames are the non-HASURA_GRAPHQL_ variables graft gets for the
// helpers; an inherited value is dropped so the shell cannot redirect them.
var helperEnvNames = []string{"ACTION_WEBHOOK_HANDLER", "REMOTE_SCHEMAS_WEBHOOK_DOMAIN", "GRAPHQL_SERVICE_1"}

// helperEnv is the environment an entry's graft process gets for the
// helper servers: the addresses always (harmless when unused), remote schema
// permissions when the entry's requirements ask for them.
func helperEnv(d Directory) []string {
	env := []string{
		"ACTION_WEBHOOK_HANDLER=" + actionWebhookURL,
		"REMOTE_SCHEMAS_WEBHOOK_DOMAIN=" + remoteSchemasURL,
		"GRAPHQL_SERVICE_1=" + graphqlService1URL,
	}
	for _, req := range d.Requirements {
		if strings.Contains(req, remoteSchemaPermsEnv+"=true") {
			env = append(env, remoteSchemaPermsEnv+"=true")
			break
		}
	}
	return env
}

// harnessVar is substituted by the Python harness itself, not by the
// engine, before a body is posted (HELPERS.md §0, table row B).
const harnessVar = "${REMOTE_GRAPHQL_ROOT_URL}"

// substituteHarnessVars replaces harnessVar in a JSON body with the Python
// GraphQL server's address. {{VAR}} templates are left alone: the engine
// resolves those.
func substituteHarnessVars(body json.RawMessage) json.RawMessage {
	if !bytes.Contains(body, []byte(harnessVar)) {
		return body
	}
	return bytes.ReplaceAll(body, []byte(harnessVar), []byte(remoteSchemasURL))
}
