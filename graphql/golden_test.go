package graphql_test

// Golden tests for SQL generation. Each testdata/golden/<name>.graphql is
// compiled with Engine.Compile against the fixture schema (schema.sql) and
// metadata (metadata.json, Hasura's v3 export form, applied with
// replace_metadata); the statements are compared with <name>.sql.
//
//	<name>.graphql    the query
//	<name>.vars.json  optional variables
//	<name>.role       optional session as JSON: {"x-hasura-role": "user", "x-hasura-user-id": "4"}
//	<name>.sql        expected root fields: name, bind args (JSON), SQL
//
// Rewrite the golden files after an intended change with
//
//	go test ./graphql -run TestGolden -update
//
// Besides the comparison, every case checks that each statement runs on the
// fixture data and returns JSON, and that the SQL text does not depend on
// the values in the request (see golden_values_test.go): values travel as
// bind arguments only.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.sql from the compiled SQL")

const goldenDir = "testdata/golden"

// goldenCase is one query with its optional variables and session.
type goldenCase struct {
	name    string
	query   string
	vars    json.RawMessage
	session graphql.Session
}

// goldenEnv is the fixture database and server shared by every case.
type goldenEnv struct {
	srv   *testenv.Server
	pool  *pgxpool.Pool
	types schemaTypes
}

func TestGolden(t *testing.T) {
	cases := loadGoldenCases(t)
	db := testenv.NewDatabase(t)
	srv := testenv.Start(t, db)
	srv.RunSQL(readFile(t, filepath.Join(goldenDir, "schema.sql")))
	srv.Metadata(map[string]any{
		"type": "replace_metadata",
		"args": json.RawMessage(readFile(t, filepath.Join(goldenDir, "metadata.json"))),
	})
	env := &goldenEnv{srv: srv, pool: testenv.Pool(t, db), types: introspectTypes(t, srv)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { env.run(t, c) })
	}
}

func (env *goldenEnv) run(t *testing.T, c goldenCase) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stmts := compile(t, env.srv, c)
	if len(stmts) == 0 {
		t.Fatalf("compiled to no statement")
	}

	got := renderGolden(c, stmts)
	path := filepath.Join(goldenDir, c.name+".sql")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (create it with: go test ./graphql -run TestGolden -update)", err)
		}
		if string(want) != got {
			t.Errorf("compiled SQL differs from %s (rerun with -update if the change is intended):\n%s",
				path, lineDiff(string(want), got))
		}
	}

	// A golden file must never freeze SQL that Postgres rejects.
	for _, st := range stmts {
		var raw []byte
		if err := env.pool.QueryRow(ctx, st.SQL, st.Args...).Scan(&raw); err != nil {
			t.Errorf("field %s: statement fails on the fixture database: %v\nSQL: %s\nargs: %s",
				st.Field, err, st.SQL, argsJSON(st.Args))
			continue
		}
		if raw != nil && !json.Valid(raw) {
			t.Errorf("field %s: result is not JSON: %s", st.Field, raw)
		}
	}

	env.checkValuesAreBound(t, c, stmts)
}

// compile runs Engine.Compile and fails the test on a compile error.
func compile(t *testing.T, srv *testenv.Server, c goldenCase) []graphql.Statement {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stmts, errBody := srv.App.Engine.Compile(ctx, c.session, &graphql.Request{Query: c.query, Variables: c.vars})
	if errBody != nil {
		t.Fatalf("compile failed: %s", errBody)
	}
	return stmts
}

func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no cases in %s", goldenDir)
	}
	var cases []goldenCase
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".graphql")
		c := goldenCase{name: name, query: readFile(t, f), session: graphql.Session{Role: "admin", Vars: map[string]string{}}}
		base := filepath.Join(goldenDir, name)
		if b, err := os.ReadFile(base + ".vars.json"); err == nil {
			if !json.Valid(b) {
				t.Fatalf("%s.vars.json is not JSON", base)
			}
			c.vars = b
		}
		if b, err := os.ReadFile(base + ".role"); err == nil {
			var vars map[string]string
			if err := json.Unmarshal(b, &vars); err != nil {
				t.Fatalf("%s.role: want a JSON object of session variables: %v", base, err)
			}
			for k, v := range vars {
				c.session.Vars[strings.ToLower(k)] = v
			}
			if r := c.session.Vars["x-hasura-role"]; r != "" {
				c.session.Role = r
				delete(c.session.Vars, "x-hasura-role")
			}
		}
		cases = append(cases, c)
	}
	// Golden files whose query was removed would silently rot.
	sqls, _ := filepath.Glob(filepath.Join(goldenDir, "*.sql"))
	for _, s := range sqls {
		name := strings.TrimSuffix(filepath.Base(s), ".sql")
		if name == "schema" {
			continue
		}
		if _, err := os.Stat(filepath.Join(goldenDir, name+".graphql")); err != nil {
			t.Errorf("%s has no %s.graphql", s, name)
		}
	}
	return cases
}

// renderGolden writes the statements as the golden file's text: per root
// field its name, its bind arguments (one JSON value a line) and its SQL,
// broken into lines at clause keywords.
func renderGolden(c goldenCase, stmts []graphql.Statement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- Golden SQL for %s.graphql (role %s). Regenerate: go test ./graphql -run TestGolden -update\n", c.name, c.session.Role)
	for _, st := range stmts {
		fmt.Fprintf(&b, "\n-- field: %s\n", st.Field)
		if len(st.Args) == 0 {
			b.WriteString("-- args: none\n")
		} else {
			b.WriteString("-- args:\n")
			for i, a := range st.Args {
				fmt.Fprintf(&b, "--   $%d = %s\n", i+1, argsJSON(a))
			}
		}
		b.WriteString(formatSQL(st.SQL))
		b.WriteString(";\n")
	}
	return b.String()
}

func argsJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v (not JSON: %v)", v, err)
	}
	return string(b)
}

// breakBefore are the clause keywords formatSQL starts a line with.
var breakBefore = []string{"FROM ", "WHERE ", "LEFT JOIN LATERAL ", "ORDER BY ", "LIMIT ", "OFFSET "}

// formatSQL makes generated one-line SQL readable: the space before a
// clause keyword (outside quotes) becomes a newline indented by the
// parenthesis depth. Only that space changes, so two different statements
// never format alike.
func formatSQL(sql string) string {
	var b strings.Builder
	depth := 0
	var quote byte // ' or " while inside a literal or quoted identifier
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case ch == ' ' && depth >= 0:
			if startsClause(sql[i+1:]) {
				b.WriteByte('\n')
				b.WriteString(strings.Repeat("  ", depth+1))
				continue
			}
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func startsClause(s string) bool {
	for _, k := range breakBefore {
		if strings.HasPrefix(s, k) {
			return true
		}
	}
	return false
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return "(texts differ only in line endings)"
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonObject is a JSON object that keeps its key order (order_by depends on it).
type jsonObject []jsonField

type jsonField struct {
	Key string
	Val any
}

func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		v, err := json.Marshal(f.Val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func decodeOrderedJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonField{Key: k.(string), Val: v})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		list := []any{}
		for dec.More() {
			v, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		return list, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}
