package conformance

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// reportBodyLimit bounds each body quoted in the report.
const reportBodyLimit = 2048

// areaCount is the tally of one feature area.
type areaCount struct {
	area          string
	passed, total int
}

// transportCount is the tally of one transport, in steps.
type transportCount struct {
	transport     string
	passed, total int
}

// summary is the tally of a run, areas in MANIFEST order.
type summary struct {
	areas          []areaCount
	transports     []transportCount
	passed, failed int
	// core counts the cases outside helperDirs, the figure that does not
	// depend on the helper servers.
	core    areaCount
	elapsed time.Duration
}

// helperDirs hold the cases that need the helper servers of HELPERS.md.
var helperDirs = []string{"queries/actions", "queries/remote_schemas"}

// isCoreDir reports whether dir lies outside helperDirs.
func isCoreDir(dir string) bool {
	for _, h := range helperDirs {
		if dir == h || strings.HasPrefix(dir, h+"/") {
			return false
		}
	}
	return true
}

// summarize counts cases per area and steps per transport; every enabled
// transport gets a line, even one no case ran over.
func summarize(results []caseResult, transports []string) summary {
	var s summary
	at := map[string]int{}
	for _, t := range transports {
		s.transports = append(s.transports, transportCount{transport: t})
	}
	for _, r := range results {
		i, ok := at[r.area]
		if !ok {
			i = len(s.areas)
			at[r.area] = i
			s.areas = append(s.areas, areaCount{area: r.area})
		}
		s.areas[i].total++
		if isCoreDir(r.c.dir) {
			s.core.total++
			if r.passed() {
				s.core.passed++
			}
		}
		if r.passed() {
			s.areas[i].passed++
			s.passed++
		} else {
			s.failed++
		}
		for _, run := range r.runs {
			for j := range s.transports {
				if s.transports[j].transport == run.transport {
					s.transports[j].passed += run.stepsPassed
					s.transports[j].total += run.stepsTotal
				}
			}
		}
	}
	return s
}

// printSummary writes one line per feature area, one per transport, the
// total outside helperDirs, and the closing line `conformance: N passed,
// M failed` that CI reads (no other line has that shape).
func printSummary(w io.Writer, s summary) {
	for _, a := range s.areas {
		fmt.Fprintf(w, "conformance: %s %d/%d\n", a.area, a.passed, a.total)
	}
	for _, t := range s.transports {
		fmt.Fprintf(w, "conformance transport %s: %d/%d steps passed\n", t.transport, t.passed, t.total)
	}
	fmt.Fprintf(w, "conformance outside %s: %d/%d passed\n", strings.Join(helperDirs, " and "), s.core.passed, s.core.total)
	if s.elapsed > 0 {
		fmt.Fprintf(w, "conformance run time: %s\n", s.elapsed.Round(time.Second))
	}
	fmt.Fprintf(w, "conformance: %d passed, %d failed\n", s.passed, s.failed)
}

// reportHeader is the context printed at the top of the report.
type reportHeader struct {
	corpus      string
	logDir      string
	filter      string
	transports  []string
	strictOrder bool
}

func writeReport(path string, h reportHeader, s summary, results []caseResult, secret string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Graft conformance report\ncorpus: %s\ngraft logs: %s\n", h.corpus, h.logDir)
	if h.filter != "" {
		fmt.Fprintf(&b, "directories containing: %q\n", h.filter)
	}
	fmt.Fprintf(&b, "transports: %s\n", strings.Join(h.transports, ","))
	fmt.Fprintf(&b, "strict key order: %v\n\n", h.strictOrder)
	printSummary(&b, s)

	for _, t := range h.transports {
		fmt.Fprintf(&b, "\n==================== FAILURES over %s ====================\n", t)
		for _, r := range results {
			for _, run := range r.runs {
				if run.transport == t && !run.passed() {
					b.WriteString(runFailureText(r, run, secret))
				}
			}
		}
	}
	// Failures outside any transport run (none are expected: failAll gives
	// every case its runs), so that nothing failed goes unreported.
	for _, r := range results {
		if !r.passed() && len(r.runs) == 0 {
			b.WriteString(failureText(r, secret))
		}
	}
	writeSlowest(&b, results)
	b.WriteString("\n==================== WARNINGS ====================\n")
	for _, r := range results {
		for _, w := range r.warnings {
			fmt.Fprintf(&b, "%s: %s\n", r.c.name(), w)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// slowestShown is how many cases the report lists by run time.
const slowestShown = 15

// writeSlowest lists the slowest cases, so a case waiting on a timeout (a
// helper server that is not there, say) shows up before it slows the suite.
func writeSlowest(b *strings.Builder, results []caseResult) {
	sorted := slices.Clone(results)
	slices.SortStableFunc(sorted, func(x, y caseResult) int { return cmp.Compare(y.elapsed, x.elapsed) })
	fmt.Fprintf(b, "\n==================== SLOWEST CASES ====================\n")
	for _, r := range sorted[:min(slowestShown, len(sorted))] {
		verdict := "passed"
		if !r.passed() {
			verdict = "failed"
		}
		fmt.Fprintf(b, "%8s %s (%s)\n", r.elapsed.Round(time.Millisecond), r.c.name(), verdict)
	}
}

// failureText describes one failed case: the reason and, for each failed
// transport run, the failed step's request and expected and actual answers.
func failureText(r caseResult, secret string) string {
	var b strings.Builder
	if len(r.runs) == 0 {
		fmt.Fprintf(&b, "\n--- FAIL %s (case #%d)\nreason: %s\n", r.c.name(), r.c.index, r.reason)
	}
	for _, run := range r.runs {
		if !run.passed() {
			b.WriteString(runFailureText(r, run, secret))
		}
	}
	return b.String()
}

// runFailureText describes one failed run of a case over one transport.
func runFailureText(r caseResult, run transportRun, secret string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n--- FAIL %s over %s (case #%d)\n", r.c.name(), run.transport, r.c.index)
	fmt.Fprintf(&b, "reason: %s\n", run.reason)
	if r.logPath != "" {
		fmt.Fprintf(&b, "graft log: %s\n", r.logPath)
	}
	for _, f := range run.steps {
		verb := "POST"
		if f.transport != transportHTTP {
			verb = "WS " + f.transport
		}
		fmt.Fprintf(&b, "step %d: %s %s", f.index, verb, f.step.URL)
		if f.step.Description != "" {
			fmt.Fprintf(&b, " (%s)", f.step.Description)
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "  headers: %s\n", headerText(f.headers, secret))
		fmt.Fprintf(&b, "  request: %s\n", truncate(compactJSON(f.step.Query), reportBodyLimit))
		if f.transport == transportHTTP {
			fmt.Fprintf(&b, "  expected status: %d, actual status: %d\n", f.step.Status, f.actualStatus)
		} else {
			fmt.Fprintf(&b, "  first frame for the operation: %q\n", f.frameType)
		}
		if f.step.Response != nil {
			fmt.Fprintf(&b, "  expected body: %s\n", truncate(compactJSON(f.step.Response), reportBodyLimit))
		}
		fmt.Fprintf(&b, "  actual body:   %s\n", truncate(compactJSON(f.actualBody), reportBodyLimit))
		for _, reason := range f.reasons {
			fmt.Fprintf(&b, "  - %s\n", reason)
		}
	}
	return b.String()
}

// headerText lists headers sorted, with the run's admin secret masked.
func headerText(h map[string]string, secret string) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := h[k]
		if v == secret {
			v = "<admin secret>"
		}
		parts = append(parts, k+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// readFloor reads the minimum number of passing cases a full run must reach.
func readFloor(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read floor: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("floor file %s must hold one integer: %w", path, err)
	}
	return n, nil
}
