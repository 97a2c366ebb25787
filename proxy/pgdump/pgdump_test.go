package pgdump

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckOptions(t *testing.T) {
	for _, o := range []string{"-f", "-f/tmp/x", "--file=/tmp/x", "--fil", "-Of/tmp/x", "-Oxd", "--dbname=x", "--db", "-h", "--host=h", "--port", "-p5432"} {
		if err := CheckOptions([]string{"-O", o}); err == nil || !strings.Contains(err.Error(), o) {
			t.Errorf("%q accepted (%v)", o, err)
		}
	}
	for _, o := range []string{"-O", "-x", "--schema-only", "-npublic", "-tfoo", "-Ufd", "--data-only", "--column-inserts", "--table=f", "--help", "-Z9"} {
		if err := CheckOptions([]string{o}); err != nil {
			t.Errorf("%q refused: %v", o, err)
		}
	}
}

func TestClean(t *testing.T) {
	dump := "--\n-- PostgreSQL database dump\n--\n\\restrict abc\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n" +
		"CREATE FUNCTION public.f() RETURNS text AS $_$\nSELECT 'x'\n\n-- kept\n$_$;\n" +
		"INSERT INTO public.t (a) VALUES ('line\n\n-- not a comment\nSET lock_timeout = 0;');\n" +
		"CREATE TRIGGER notify_hasura_t_INSERT AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION hdb_views.notify_hasura_t_INSERT();\n" +
		"\\unrestrict abc\n"
	want := "CREATE FUNCTION public.f() RETURNS text AS $_$\nSELECT 'x'\n\n-- kept\n$_$;\n" +
		"INSERT INTO public.t (a) VALUES ('line\n\n-- not a comment\nSET lock_timeout = 0;');\n"
	if got := string(Clean([]byte(dump))); got != want {
		t.Errorf("Clean:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunWithoutPGDump: no pg_dump anywhere is ErrNotFound, not a crash.
func TestRunWithoutPGDump(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	// An unreachable server: no major version, so only PATH is searched.
	_, err := Run(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", []string{"--schema-only"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
