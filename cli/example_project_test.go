package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// The example project is generated from configs/examples/schema.sql and
// metadata.json. Regenerate it after changing them with:
//
//	GRAFT_REGENERATE_EXAMPLE=1 scripts/with-env.sh go test -count=1 -run TestCLIExampleProject ./cli
const (
	exampleProject = "../configs/examples/project"
	exampleSchema  = "../configs/examples/schema.sql"
	exampleMeta    = "../configs/examples/metadata.json"
	// A fixed version keeps regeneration byte-stable.
	exampleMigration = "migrations/default/1700000000000_init"
)

// TestCLIExampleProject checks that the committed example project is what
// schema.sql and metadata.json generate, and that it deploys on a fresh
// server with the metadata exported back byte for byte.
func TestCLIExampleProject(t *testing.T) {
	want := generateExample(t)
	if os.Getenv("GRAFT_REGENERATE_EXAMPLE") != "" {
		if err := os.RemoveAll(exampleProject); err != nil {
			t.Fatal(err)
		}
		for p, b := range want {
			writeFile(t, filepath.Join(exampleProject, filepath.FromSlash(p)), string(b))
		}
	}
	got, err := readMetadataDir(exampleProject)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sortedKeys(got), " ") != strings.Join(sortedKeys(want), " ") {
		t.Fatalf("configs/examples/project is out of date (files differ); regenerate: GRAFT_REGENERATE_EXAMPLE=1 scripts/with-env.sh go test -run TestCLIExampleProject ./cli\n got %v\nwant %v", sortedKeys(got), sortedKeys(want))
	}
	for p := range want {
		if string(got[p]) != string(want[p]) {
			t.Fatalf("configs/examples/project/%s is out of date; regenerate: GRAFT_REGENERATE_EXAMPLE=1 scripts/with-env.sh go test -run TestCLIExampleProject ./cli", p)
		}
	}

	srv := testenv.Start(t, testenv.NewDatabase(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := NewClient(srv.URL, testenv.AdminSecret)
	if err := Deploy(ctx, c, filepath.Join(exampleProject, "migrations"), filepath.Join(exampleProject, "metadata"), io.Discard); err != nil {
		t.Fatalf("deploy the example project: %v", err)
	}
	files, err := ExportMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range files {
		if string(got["metadata/"+p]) != string(b) {
			t.Errorf("metadata/%s differs after deploy and export", p)
		}
	}
}

// generateExample builds the example project's files: config.yaml as `graft
// init` writes it, schema.sql as one migration (its BEGIN/COMMIT dropped:
// the migration runs in the server's transaction), and the metadata as the
// server exports it once metadata.json is applied on that schema.
func generateExample(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "project")
	if err := InitProject(dir, "", ""); err != nil {
		t.Fatal(err)
	}
	schema := readFile(t, exampleSchema)
	up := regexp.MustCompile(`(?m)^(BEGIN|COMMIT);\n`).ReplaceAllString(schema, "")
	up = strings.Replace(up, "-- Everything runs in one transaction; loading twice fails without changes.\n",
		"-- graft migrate apply runs it in one transaction.\n", 1)
	var drops []string
	for _, m := range regexp.MustCompile(`(?m)^CREATE TABLE (\S+)`).FindAllStringSubmatch(schema, -1) {
		drops = append([]string{"DROP TABLE IF EXISTS " + m[1] + " CASCADE;"}, drops...)
	}
	writeFile(t, filepath.Join(dir, exampleMigration, "up.sql"), up)
	writeFile(t, filepath.Join(dir, exampleMigration, "down.sql"), strings.Join(drops, "\n")+"\n")

	srv := testenv.Start(t, testenv.NewDatabase(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := NewClient(srv.URL, testenv.AdminSecret)
	if err := Migrate(ctx, c, filepath.Join(dir, "migrations"), "default", ApplyOptions{}, io.Discard); err != nil {
		t.Fatalf("apply the example migration: %v", err)
	}
	md, err := os.ReadFile(exampleMeta)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Metadata(ctx, map[string]any{"type": "replace_metadata", "args": json.RawMessage(md)}, nil); err != nil {
		t.Fatalf("apply metadata.json: %v", err)
	}
	files, err := ExportMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteMetadataDir(filepath.Join(dir, "metadata"), files); err != nil {
		t.Fatal(err)
	}
	out, err := readMetadataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
