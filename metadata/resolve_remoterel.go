package metadata

import (
	"fmt"
	"slices"
)

// codeRemoteRelationship is the code Hasura reports when a remote
// relationship does not fit its remote schema (RemoteSchemaError).
const codeRemoteRelationship = "remote-schema-error"

// resolveRemoteRelationships resolves every table's remote relationships
// once the remote schemas are loaded; one that does not fit is
// inconsistent (type remote_relationship) and left out of the schema.
func (s *Snapshot) resolveRemoteRelationships() {
	s.resolveRemoteSchemaRelationships()
	for _, t := range s.Tables {
		list, err := t.Meta.RemoteRelationshipList()
		if err != nil {
			s.addInconsistent("remote_relationship", "remote_relationships in table "+t.Name.String()+" in source default",
				err.Error(), t.Meta.RemoteRelationships, t.Name, "")
			continue
		}
		t.RemoteRels = nil
		for _, m := range list {
			rr, code, err := s.resolveRemoteRel(t, m)
			if err != nil {
				s.addInconsistent("remote_relationship", m.Name+" in table "+t.Name.String()+" in source default",
					fmt.Sprintf("%sin table %q in source \"default\": in remote relationship %q: %v", inconsistentPrefix, t.Name.String(), m.Name, err),
					map[string]any{"table": t.Name, "source": "default", "name": m.Name, "definition": m.Definition}, t.Name, m.Name)
				s.Inconsistent[len(s.Inconsistent)-1].code = code
				continue
			}
			t.RemoteRels = append(t.RemoteRels, rr)
		}
	}
}

// RemoteRelationship returns the table's remote relationship named name, or nil.
func (t *Table) RemoteRelationship(name string) *RemoteRelationship {
	for _, rr := range t.RemoteRels {
		if rr.Name == name {
			return rr
		}
	}
	return nil
}

// resolveRemoteRel checks one remote relationship and returns the code of
// its error (Hasura's, by what is wrong).
func (s *Snapshot) resolveRemoteRel(t *Table, m RemoteRelationshipMeta) (*RemoteRelationship, string, error) {
	rr, err := parseRemoteRelationship(m.Name, m.Definition)
	if err != nil {
		return nil, "parse-failed", err
	}
	rr.Table = t
	if err := fieldConflict(t, m.Name); err != nil {
		return nil, "already-exists", err
	}
	for _, other := range t.RemoteRels {
		if other.Name == m.Name {
			return nil, "already-exists", fmt.Errorf("field definition conflicts with remote relationship %q", m.Name)
		}
	}
	if rr.ToSource != nil {
		return rr, "invalid-configuration", s.resolveSourceJoin(t, rr.ToSource)
	}
	rj := rr.ToRemote
	columns := map[string]*CatalogColumn{}
	for _, f := range rj.LHSFields {
		c := t.Column(f)
		if c == nil {
			return nil, codeRemoteRelationship, fmt.Errorf("field with name %q not found in table %q", f, t.Name.String())
		}
		columns[f] = c.Info
	}
	for _, v := range JoinVariables(rj.Path) {
		if !slices.Contains(rj.LHSFields, v) {
			return nil, codeRemoteRelationship, fmt.Errorf("the variable $%s is not one of the lhs fields %v", v, rj.LHSFields)
		}
	}
	var remote *RemoteSchema
	for _, r := range s.RemoteSchemas {
		if r.Meta.Name == rj.RemoteSchema {
			remote = r
		}
	}
	if remote == nil {
		return nil, codeRemoteRelationship, fmt.Errorf("remote schema with name %q not found", rj.RemoteSchema)
	}
	if ch, ok := remote.Info.(RemoteJoinChecker); ok {
		if err := ch.CheckRemoteJoin(rj.Path, columns); err != nil {
			return nil, codeRemoteRelationship, err
		}
	}
	return rr, "", nil
}

// resolveSourceJoin checks a to_source relationship. Only the default
// source's tables are known here; a join to another source's table is
// checked by the engine that serves that source.
func (s *Snapshot) resolveSourceJoin(t *Table, sj *SourceJoin) error {
	if s.Metadata.Source(sj.Source) == nil {
		return fmt.Errorf("source %q does not exist", sj.Source)
	}
	for _, p := range sj.Mapping {
		if t.Column(p.From) == nil {
			return fmt.Errorf("column %q does not exist in table %q", p.From, t.Name.String())
		}
	}
	return s.resolveSourceTarget(sj)
}

// resolveSourceTarget checks the target side of a to_source join.
func (s *Snapshot) resolveSourceTarget(sj *SourceJoin) error {
	if s.Metadata.Source(sj.Source) == nil {
		return fmt.Errorf("source %q does not exist", sj.Source)
	}
	if sj.Source != "default" {
		return nil
	}
	target := s.tableByName[sj.Table]
	if target == nil {
		return fmt.Errorf("table %q is not tracked in source %q", sj.Table.String(), sj.Source)
	}
	for _, p := range sj.Mapping {
		if target.Column(p.To) == nil {
			return fmt.Errorf("column %q does not exist in table %q of source %q", p.To, sj.Table.String(), sj.Source)
		}
	}
	sj.Target = target
	return nil
}
