package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
//	CONFORMANCE_CORPUS         corpus directory (default <repo>/../shared/conformance/hasura);
//	                           without it the test is skipped, or fails when CI=true
//	CONFORMANCE_DIR            only MANIFEST entries whose dir contains this (no floor check)
//	CONFORMANCE_TRANSPORTS     comma-separated transports to run (default "http,websocket,subscription";
//	                           a subset skips the floor check)
//	CONFORMANCE_STRICT_ORDER=1 also check the key order of objects under data
//	CONFORMANCE_VERBOSE=1      print every failure to stdout as well
//	CONFORMANCE_GRAFT_BIN      run this binary instead of building ./cmd/graft
//	CONFORMANCE_OUT            directory for the report and graft logs (default <repo>/.graft)
func TestConformance(t *testing.T) {
	// The corpus comes first: in CI its absence must fail the run even
	// where no database is configured.
	repoRoot, corpus := requireCorpus(t, true)
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

	manifest, err := loadManifest(corpus)
	if err != nil {
		t.Fatal(err)
	}
	transports, err := parseTransports(os.Getenv("CONFORMANCE_TRANSPORTS"))
	if err != nil {
		t.Fatal(err)
	}
	filter := os.Getenv("CONFORMANCE_DIR")
	s, err := loadSuite(corpus, manifest, filter)
	if err != nil {
		t.Fatalf("loading the corpus: %v", err)
	}
	if len(s.dirs) == 0 {
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
	outDir := filepath.Join(repoRoot, ".graft")
	if dir := os.Getenv("CONFORMANCE_OUT"); dir != "" {
		outDir = dir // concurrent runs each keep their own report and logs
	}
	logDir := filepath.Join(outDir, "conformance-logs")
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
		clearDB:     s.clearDB,
	}
	defer startActionWebhook(ctx, s, secret)()
	defer startRemoteGraphQLHelpers(ctx, s)()
	if n := s.helperCases(); n > 0 {
		if down := probeHelpers(); len(down) > 0 {
			fmt.Printf("conformance: helper servers not listening at %s: %d cases need helpers (MANIFEST `helpers`) and may fail for that\n", strings.Join(down, ", "), n)
		}
	}
	verbose := os.Getenv("CONFORMANCE_VERBOSE") == "1"
	var results []caseResult
	started := time.Now()
	for _, d := range s.dirs {
		dirResults := r.runDirectory(ctx, d)
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
	sum := summarize(results, transports)
	sum.elapsed = time.Since(started)
	reportPath := filepath.Join(outDir, "conformance-report.txt")
	header := reportHeader{corpus: corpus, logDir: logDir, filter: filter, transports: transports, strictOrder: r.strictOrder}
	if err := writeReport(reportPath, header, sum, results, secret); err != nil {
		t.Error(err)
	} else {
		fmt.Printf("conformance report: %s\n", reportPath)
	}
	if sum.failed > 0 {
		fmt.Printf("conformance graft logs: %s\n", logDir)
	}
	// The floor counts full runs only: every directory over every transport.
	if filter == "" && slices.Equal(transports, supportedTransports) {
		checkFloor(t, filepath.Join(repoRoot, "tests", "conformance", "floor.txt"), sum.passed)
	}
	// Last, so the closing `conformance: N passed, M failed` line ends the output.
	printSummary(os.Stdout, sum)
}

// requireCorpus returns the repository root and the corpus directory, or
// ends the test as corpusDecision says: a skip, or a failure in CI. With
// loud the line also goes to stdout, where the summary lines go, since a
// skipped suite must not pass for a green one (one test says it loudly).
func requireCorpus(t *testing.T, loud bool) (repoRoot, corpus string) {
	t.Helper()
	repoRoot, err := findRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	corpus, verdict, msg := corpusDecision(os.Getenv, repoRoot)
	if verdict != corpusFound && loud {
		fmt.Println(msg)
	}
	switch verdict {
	case corpusSkip:
		t.Skip(msg)
	case corpusFail:
		t.Fatal(msg)
	}
	return repoRoot, corpus
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
