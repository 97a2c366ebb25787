package metadata

import (
	"fmt"
	"strings"
)

// sourceJoinRef is a to_source remote relationship of another source's
// table that joins to a source.
type sourceJoinRef struct {
	source string
	tm     *TableMeta
	name   string
}

// sourceJoinDependents lists the remote relationships of the other
// sources' tables whose to_source target is source name: dropping the
// source strands them, so Hasura refuses it unless cascade removes them.
func (w *work) sourceJoinDependents(name string) []sourceJoinRef {
	var deps []sourceJoinRef
	for i := range w.md.Sources {
		src := &w.md.Sources[i]
		if src.Name == name {
			continue
		}
		for j := range src.Tables {
			tm := &src.Tables[j]
			list, err := tm.RemoteRelationshipList()
			if err != nil {
				continue
			}
			for _, m := range list {
				rr, err := parseRemoteRelationship(m.Name, m.Definition)
				if err == nil && rr.ToSource != nil && rr.ToSource.Source == name {
					deps = append(deps, sourceJoinRef{source: src.Name, tm: tm, name: m.Name})
				}
			}
		}
	}
	return deps
}

// dropSourceDependents refuses to drop source name while other sources'
// remote relationships join to it (Hasura's dependency-error), or with
// cascade removes them.
func (w *work) dropSourceDependents(name string, cascade bool) error {
	deps := w.sourceJoinDependents(name)
	if len(deps) == 0 {
		return nil
	}
	if !cascade {
		names := make([]string, len(deps))
		for i, d := range deps {
			names[i] = fmt.Sprintf("remote_relationship %s in table %s in source %s", d.name, d.tm.Table.String(), d.source)
		}
		return &APIError{Status: 400, Code: "dependency-error", Path: "$.args",
			Message: "cannot drop due to the following dependent objects : " + strings.Join(names, ", ")}
	}
	for _, d := range deps {
		dropRemoteRel(d.tm, d.name)
	}
	w.changed = true
	return nil
}
