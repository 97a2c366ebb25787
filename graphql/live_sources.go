package graphql

import (
	"errors"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Live queries on an added source are pushed by that source's own WAL
// reader (proxy/walsources.go), which runs only where the source's
// database allows logical replication. Their subscription_root fields are
// always in the schema, as on the default source, and gated when run: a
// subscription there while the source's WAL is not read would never be
// told of a change, so it is refused with the reason.

// errNoLiveSources is the refusal when nothing reads added sources' WAL.
var errNoLiveSources = errors.New("no WAL reader runs for it")

// gateLiveSource records the subscription_root fields of an added source.
func (b *schemaBuilder) gateLiveSource(src *metadata.Snapshot, subscription graphql.Fields) {
	if src.SourceName == "" || src.SourceName == "default" || len(subscription) == 0 {
		return
	}
	if b.rs.liveSources == nil {
		b.rs.liveSources = map[string]string{}
	}
	for name := range subscription {
		b.rs.liveSources[name] = src.SourceName
	}
}

// refusedLiveSource is the error of a subscription selecting a field of an
// added source whose WAL is not read, or nil.
func (e *Engine) refusedLiveSource(rs *roleSchema, prep *preparedOp, vars map[string]any) error {
	if len(rs.liveSources) == 0 || prep.op.Operation != ast.OperationTypeSubscription {
		return nil
	}
	for _, g := range collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, "subscription_root", prep.frags, vars) {
		source, ok := rs.liveSources[g.Name]
		if !ok {
			continue
		}
		err := errNoLiveSources
		if e.LiveSources != nil {
			err = e.LiveSources(source)
		}
		if err != nil {
			return &queryError{Code: "not-supported", Path: "$",
				Message: "subscriptions on source \"" + source + "\" are not available: its WAL is not read (" + err.Error() + ")"}
		}
	}
	return nil
}

// sourceWALRead tells whether a source's WAL is read: always for the
// default source (whose mutations have always emitted the session message
// and invalidated live queries), for an added one when LiveSources says so.
func (e *Engine) sourceWALRead(source string) bool {
	if sameSource(source, "default") {
		return true
	}
	return e.LiveSources != nil && e.LiveSources(source) == nil
}
