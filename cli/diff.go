package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// writeDiff prints, per differing file, the lines only in from ("-") and
// only in to ("+"), in order: enough to review a metadata change in CI.
func writeDiff(out io.Writer, fromName, toName string, from, to map[string][]byte) {
	names := map[string]bool{}
	for p := range from {
		names[p] = true
	}
	for p := range to {
		names[p] = true
	}
	paths := make([]string, 0, len(names))
	for p := range names {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		a, b := string(from[p]), string(to[p])
		if a == b {
			continue
		}
		fmt.Fprintf(out, "--- %s/%s\n+++ %s/%s\n", fromName, p, toName, p)
		for _, l := range lineDiff(splitLines(a), splitLines(b)) {
			fmt.Fprintln(out, l)
		}
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// lineDiff is a longest-common-subsequence diff; metadata files are small.
func lineDiff(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, "+"+b[j])
			j++
		default:
			out = append(out, "-"+a[i])
			i++
		}
	}
	return out
}
