package metadata

import (
	"reflect"
	"testing"
)

func TestSplitSQL(t *testing.T) {
	got := splitSQL(`CREATE TABLE t (x text DEFAULT 'a;b');
-- comment; here
CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql; /* c; */ SELECT "we;ird" FROM t;
  `)
	want := []string{"CREATE TABLE t (x text DEFAULT 'a;b')",
		"\n-- comment; here\nCREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql",
		` /* c; */ SELECT "we;ird" FROM t`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splitSQL = %q", got)
	}
}
