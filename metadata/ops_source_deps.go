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
	w.md.eachRemoteRelationship(func(src *Source, tm *TableMeta, rr *RemoteRelationship) {
		if src.Name != name && rr.ToSource != nil && rr.ToSource.Source == name {
			deps = append(deps, sourceJoinRef{source: src.Name, tm: tm, name: rr.Name})
		}
	})
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

// eachRemoteRelationship calls fn with every remote relationship of every
// table of every source that parses (one that does not is inconsistent
// metadata, reported elsewhere).
func (md *Metadata) eachRemoteRelationship(fn func(src *Source, tm *TableMeta, rr *RemoteRelationship)) {
	for i := range md.Sources {
		src := &md.Sources[i]
		for j := range src.Tables {
			tm := &src.Tables[j]
			list, err := tm.RemoteRelationshipList()
			if err != nil {
				continue
			}
			for _, m := range list {
				if rr, err := parseRemoteRelationship(m.Name, m.Definition); err == nil {
					fn(src, tm, rr)
				}
			}
		}
	}
}
