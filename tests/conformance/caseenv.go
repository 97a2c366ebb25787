package conformance

import (
	"path"
	"strings"
)

// stringifyEnv is the engine setting some cases were recorded with: the
// Python suite ran those classes against an engine started with
// --stringify-numeric-types, while the other cases of the same directory
// expect numbers, so such a case gets a graft of its own.
const stringifyEnv = "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES=true"

// stringifiedWithoutNote are cases whose expected bodies show stringified
// numbers (e.g. float_col: '1.23') although MANIFEST has no note saying so:
// the driver revision that ran them is not in the corpus.
var stringifiedWithoutNote = map[string]bool{
	"queries/graphql_query/boolexp/basic/select_cast_test_where_cast_string_postgres.yaml": true,
}

// caseEnv is the engine environment a case needs beyond its entry's.
func caseEnv(c suiteCase) []string {
	if stringifiedWithoutNote[path.Join(c.dir, c.File)] {
		return []string{stringifyEnv}
	}
	for _, n := range c.Notes {
		if strings.Contains(n, stringifyEnv) {
			return []string{stringifyEnv}
		}
	}
	return nil
}
