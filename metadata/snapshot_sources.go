package metadata

import "fmt"

// AddedSource is what resolution needs of an added source: its catalog, or
// the error that kept Graft from reading it (the source is then reported
// inconsistent and the others are still served), and how to read its enum
// tables.
type AddedSource struct {
	Catalog  *Catalog
	Err      error
	LoadEnum EnumLoader
}

// Source returns the resolved tables and functions of a source: s itself for
// "default" (or ""), an added source's sub-snapshot, or nil when the source
// does not exist or is inconsistent. Its Table and Functions cover that
// source only.
func (s *Snapshot) Source(name string) *Snapshot {
	if name == "" || name == s.SourceName {
		return s
	}
	for _, sub := range s.Sources {
		if sub.SourceName == name {
			return sub
		}
	}
	return nil
}

// AllSources is the main snapshot followed by every added source's.
func (s *Snapshot) AllSources() []*Snapshot {
	return append([]*Snapshot{s}, s.Sources...)
}

// resolveAddedSources resolves each added postgres source into its own
// sub-snapshot. Its inconsistencies join the main snapshot's, named "<type>
// <name> in source <source>" so that they stay apart from the default
// source's; a table or function whose GraphQL names another source already
// took is inconsistent, as in Hasura.
func (s *Snapshot) resolveAddedSources(md *Metadata, added map[string]AddedSource) {
	owners := newNameOwners()
	owners.register(s)
	for i := range md.Sources {
		src := &md.Sources[i]
		a, ok := added[src.Name]
		if src.Name == "default" || !ok {
			continue
		}
		if a.Err != nil {
			s.addSourceInconsistent(src.Name, "Inconsistent object: connection error", a.Err.Error())
			continue
		}
		sub := &Snapshot{Version: s.Version, Metadata: md, Catalog: a.Catalog, SourceName: src.Name,
			tableByName: map[QualifiedName]*Table{}}
		sub.resolveCustomization(src)
		if ns := sub.Customization.namespace(); ns != "" {
			if owner, taken := owners.query[ns]; taken {
				s.addSourceInconsistent(src.Name, conflictReason("query_root", ns, owner, "source "+src.Name), "")
				continue
			}
		}
		sub.resolveSource(src, a.LoadEnum)
		owners.dropConflicting(sub)
		owners.register(sub)
		for _, inc := range sub.Inconsistent {
			inc.source = src.Name
			if inc.Type != "source" {
				inc.Name += " in source " + src.Name
			}
			s.Inconsistent = append(s.Inconsistent, inc)
		}
		sub.Inconsistent = nil
		s.Sources = append(s.Sources, sub)
	}
}

// addSourceInconsistent reports a whole source inconsistent.
func (s *Snapshot) addSourceInconsistent(name, reason, message string) {
	s.addInconsistent("source", name, reason, name, QualifiedName{}, name)
	s.Inconsistent[len(s.Inconsistent)-1].Message = message
	s.Inconsistent[len(s.Inconsistent)-1].source = name
}

// resolveCustomization reads the source's customization; one Graft cannot
// read leaves the source uncustomized and is reported.
func (s *Snapshot) resolveCustomization(src *Source) {
	c, err := ParseCustomization(src.Customization)
	if err != nil {
		s.addSourceInconsistent(src.Name, "Inconsistent object: invalid customization", err.Error())
		return
	}
	s.Customization = c
}

// sourceName is the source an inconsistent object belongs to.
func (inc InconsistentObject) sourceName() string {
	if inc.source == "" {
		return "default"
	}
	return inc.source
}

// nameOwners records which table or function took each root field and
// table type name, across sources.
type nameOwners struct {
	query, mutation, types map[string]string
}

func newNameOwners() *nameOwners {
	return &nameOwners{query: map[string]string{}, mutation: map[string]string{}, types: map[string]string{}}
}

func ownerName(kind string, q QualifiedName, source string) string {
	return kind + " " + q.String() + " in source " + source
}

// register takes the names of a resolved source: its namespace field alone
// when it has one, every root field otherwise.
func (o *nameOwners) register(s *Snapshot) {
	ns := s.Customization.namespace()
	if ns != "" {
		o.query[ns], o.mutation[ns] = "source "+s.SourceName, "source "+s.SourceName
	}
	for _, t := range s.Tables {
		owner := ownerName("table", t.Name, s.SourceName)
		o.types[t.TypeName("")] = owner
		if ns != "" {
			continue
		}
		q, m := t.RootFields.byRoot()
		for _, n := range q {
			o.query[n] = owner
		}
		for _, n := range m {
			o.mutation[n] = owner
		}
	}
	if ns != "" {
		return
	}
	for _, f := range s.Functions {
		owner := ownerName("function", f.Name, s.SourceName)
		root := o.query
		if f.ExposedAsMutation {
			root = o.mutation
		}
		root[f.RootFields.Function], root[f.RootFields.Aggregate] = owner, owner
	}
}

// dropConflicting takes out of s the tables and functions whose names an
// earlier source owns, reporting each inconsistent.
func (o *nameOwners) dropConflicting(s *Snapshot) {
	namespaced := s.Customization.namespace() != ""
	kept := s.Tables[:0]
	for _, t := range s.Tables {
		reason := o.tableConflict(t, namespaced)
		if reason == "" {
			kept = append(kept, t)
			continue
		}
		s.addInconsistent("table", t.Name.String(), reason, t.Name, t.Name, "")
		delete(s.tableByName, t.Name)
	}
	s.Tables = kept
	if namespaced {
		return
	}
	fns := s.Functions[:0]
	for _, f := range s.Functions {
		root, rootName := o.query, "query_root"
		if f.ExposedAsMutation {
			root, rootName = o.mutation, "mutation_root"
		}
		clash := ""
		for _, n := range []string{f.RootFields.Function, f.RootFields.Aggregate} {
			if owner, taken := root[n]; taken && clash == "" {
				clash = conflictReason(rootName, n, owner, ownerName("function", f.Name, s.SourceName))
			}
		}
		if clash == "" {
			fns = append(fns, f)
			continue
		}
		s.addInconsistent("function", f.Name.String(), clash, f.Name, f.Name, "")
	}
	s.Functions = fns
}

func (o *nameOwners) tableConflict(t *Table, namespaced bool) string {
	me := ownerName("table", t.Name, t.Source)
	if owner, taken := o.types[t.TypeName("")]; taken {
		return fmt.Sprintf("Found conflicting definitions for GraphQL type %q: defined by [%s] and [%s]",
			t.TypeName(""), owner, me)
	}
	if namespaced {
		return ""
	}
	q, m := t.RootFields.byRoot()
	for _, n := range q {
		if owner, taken := o.query[n]; taken {
			return conflictReason("query_root", n, owner, me)
		}
	}
	for _, n := range m {
		if owner, taken := o.mutation[n]; taken {
			return conflictReason("mutation_root", n, owner, me)
		}
	}
	return ""
}

// conflictReason is Hasura's message for a root field two sources define.
func conflictReason(root, field, first, second string) string {
	return fmt.Sprintf("Encountered conflicting definitions in the selection set for '%s' for field '%s' "+
		"defined in [%s] and [%s]. Fields must not be defined more than once across all sources.", root, field, first, second)
}

// byRoot splits the root field names into query_root and mutation_root ones.
func (rf RootFieldNames) byRoot() (query, mutation []string) {
	return []string{rf.Select, rf.SelectByPk, rf.SelectAggregate},
		[]string{rf.Insert, rf.InsertOne, rf.Update, rf.UpdateByPk, rf.UpdateMany, rf.Delete, rf.DeleteByPk}
}
