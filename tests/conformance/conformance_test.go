package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// deadlineMargin is kept free before go test's -timeout, which panics
// without a report: the run stops early enough to still write one.
const deadlineMargin = 30 * time.Second

// TestConformance runs the Hasura v2 corpus against a freshly built graft.
//
// Environment:
//
//	DATABASE_URL               superuser URL of a PostgreSQL with PostGIS (required, else skipped)
//	REDIS_URL                  passed to graft as HASURA_GRAPHQL_REDIS_URL when set
//	CONFORMANCE_CORPUS         corpus directory (default <repo>/../shared/conformance/hasura)
//	CONFORMANCE_DIR            only directories whose path contains this (no floor check)
//	CONFORMANCE_TRANSPORTS     comma-separated transports to run (default "http,websocket,subscription";
//	                           a subset skips the floor check)
//	CONFORMANCE_STRICT_ORDER=1 also check the key order of objects under data
//	CONFORMANCE_VERBOSE=1      print every failure to stdout as well
//	CONFORMANCE_GRAFT_BIN      run this binary instead of building ./cmd/graft
func TestConformance(t *testing.T) {
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		t.Skip("DATABASE_URL is not set: conformance needs a superuser PostgreSQL URL with PostGIS (see scripts/dev-up.sh, then `set -a; . .graft/dev/env`)")
	}
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-deadlineMargin))
		defer cancel()
	}

	repoRoot, err := findRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := locateCorpus(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := loadManifest(corpus)
	if err != nil {
		t.Fatal(err)
	}
	transports, err := parseTransports(os.Getenv("CONFORMANCE_TRANSPORTS"))
	if err != nil {
		t.Fatal(err)
	}
	filter := os.Getenv("CONFORMANCE_DIR")
	dirs, err := loadSuite(corpus, manifest, filter)
	if err != nil {
		t.Fatalf("loading the corpus: %v", err)
	}
	if len(dirs) == 0 {
		t.Fatalf("CONFORMANCE_DIR=%q matches no directory of the corpus", filter)
	}

	bin := os.Getenv("CONFORMANCE_GRAFT_BIN")
	if bin == "" {
		if bin, err = buildGraft(ctx, repoRoot, t.TempDir()); err != nil {
			t.Fatalf("cannot build the engine, so no case can run: %v", err)
		}
	}
	db, err := openDBAdmin(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close(context.WithoutCancel(ctx))
	warnings, err := db.prepareTemplate(ctx)
	if err != nil {
		t.Fatalf("preparing the template database: %v", err)
	}
	defer db.dropDatabase(context.WithoutCancel(ctx), templateDB)
	for _, w := range warnings {
		fmt.Println("conformance warning:", w)
	}

	secret, err := randomSecret()
	if err != nil {
		t.Fatal(err)
	}
	// A fixed, git-ignored place beside the report, emptied on every run, so
	// logs of the last run are easy to find and never pile up.
	logDir := filepath.Join(repoRoot, ".graft", "conformance-logs")
	if err := os.RemoveAll(logDir); err != nil {
		t.Fatalf("clear log directory: %v", err)
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatalf("create log directory: %v", err)
	}
	r := &runner{
		db:          db,
		bin:         bin,
		secret:      secret,
		redisURL:    os.Getenv("REDIS_URL"),
		logDir:      logDir,
		strictOrder: os.Getenv("CONFORMANCE_STRICT_ORDER") == "1",
		transports:  transports,
	}
	verbose := os.Getenv("CONFORMANCE_VERBOSE") == "1"
	var results []caseResult
	for n, d := range dirs {
		dirResults := r.runDirectory(ctx, n, d)
		for _, res := range dirResults {
			if !res.passed() {
				t.Logf("FAIL %s: %s", res.c.name(), res.reason)
				if verbose {
					fmt.Print(failureText(res, secret))
				}
			}
		}
		results = append(results, dirResults...)
	}
	s := summarize(results, transports)
	reportPath := filepath.Join(repoRoot, ".graft", "conformance-report.txt")
	header := reportHeader{corpus: corpus, logDir: logDir, filter: filter, transports: transports, strictOrder: r.strictOrder}
	if err := writeReport(reportPath, header, s, results, secret); err != nil {
		t.Error(err)
	} else {
		fmt.Printf("conformance report: %s\n", reportPath)
	}
	if s.failed > 0 {
		fmt.Printf("conformance graft logs: %s\n", logDir)
	}
	// The floor counts full runs only: every directory over every transport.
	if filter == "" && slices.Equal(transports, supportedTransports) {
		checkFloor(t, filepath.Join(repoRoot, "tests", "conformance", "floor.txt"), s.passed)
	}
	// Last, so the closing `conformance: N passed, M failed` line ends the output.
	printSummary(os.Stdout, s)
}

// checkFloor fails the test when fewer cases pass than floor.txt records.
// The file is only ever raised by hand, on purpose, in a reviewed commit.
func checkFloor(t *testing.T, path string, passed int) {
	t.Helper()
	floor, err := readFloor(path)
	if err != nil {
		t.Error(err)
		return
	}
	switch {
	case passed < floor:
		t.Errorf("conformance regressed: %d cases passed, fewer than the floor of %d in tests/conformance/floor.txt", passed, floor)
	case passed > floor:
		fmt.Printf("conformance: raise tests/conformance/floor.txt to %d\n", passed)
	}
}
