package metadata

import (
	"encoding/json"
	"fmt"
)

// Snapshot is metadata resolved against the catalog once: every request reads
// one Snapshot and never sees a half-applied change.
type Snapshot struct {
	Version      int64 // resource_version of the stored metadata
	Metadata     *Metadata
	Catalog      *Catalog
	Tables       []*Table // tracked and consistent, in metadata order
	Functions    []*Function
	Inconsistent []InconsistentObject
	// RemoteSchemas loaded and without conflicts, in metadata order.
	RemoteSchemas []*RemoteSchema
	// NotServed is what the metadata holds but Graft does not act on
	// (NotServed), decided once here as the snapshot never changes.
	NotServed []Warning
	// Actions and CustomTypes are the consistent actions and their types
	// (actions.go), their table relationships resolved.
	Actions     []*Action
	CustomTypes *CustomTypes
	// SourceName is the source whose tables and functions this snapshot
	// holds: "default" for the main snapshot, an added source's name for
	// its sub-snapshot (snapshot_sources.go).
	SourceName string
	// Customization is the source's GraphQL customization; nil when none.
	Customization *SourceCustomization
	// Sources are the added sources that resolved, in metadata order, each a
	// sub-snapshot holding only its Tables, Functions and Catalog. Only the
	// main snapshot has them; Source(name) finds any of them.
	Sources     []*Snapshot
	tableByName map[QualifiedName]*Table
}

// Table returns a tracked, consistent table by name, or nil.
func (s *Snapshot) Table(q QualifiedName) *Table { return s.tableByName[q] }

// InconsistentObject is a metadata object that does not match the database,
// in the shape get_inconsistent_metadata reports.
type InconsistentObject struct {
	Definition json.RawMessage `json:"definition"`
	Name       string          `json:"name"`
	Reason     string          `json:"reason"`
	Type       string          `json:"type"`
	// Message is the detail of a source's connection error, as Hasura's.
	Message string `json:"message,omitempty"`
	source  string // the added source the object belongs to; "" for the default source
	table   QualifiedName
	item    string
	code    string // the error code when the object's own operation fails; "" for the operation's default
}

// Table is a tracked table with its GraphQL names decided.
type Table struct {
	Name QualifiedName
	// Source is the name of the source the table lives in; Custom is that
	// source's customization (nil when none), which TypeName applies.
	Source         string
	Custom         *SourceCustomization
	GQLName        string
	Info           *CatalogTable
	Meta           *TableMeta
	Columns        []*Column
	PrimaryKey     []*Column
	ObjectRels     []*Relationship
	ArrayRels      []*Relationship
	ComputedFields []*ComputedField
	// RemoteRels are the consistent remote relationships (resolve_remoterel.go).
	RemoteRels []*RemoteRelationship
	RootFields RootFieldNames
	IsEnum     bool
	EnumValues []EnumValue
	// InheritedPermissions are the insert, update and delete permissions
	// inherited roles take from their parents: kind -> role -> permission.
	InheritedPermissions map[string]map[string]Permission
	columnByName         map[string]*Column
	columnByGQL          map[string]*Column
}

// Column returns a column by its Postgres name, or nil.
func (t *Table) Column(name string) *Column { return t.columnByName[name] }

// ColumnByGQL returns a column by its GraphQL field name, or nil.
func (t *Table) ColumnByGQL(name string) *Column { return t.columnByGQL[name] }

// Relationship returns an object or array relationship by name, or nil.
func (t *Table) Relationship(name string) *Relationship {
	for _, r := range t.ObjectRels {
		if r.Name == name {
			return r
		}
	}
	for _, r := range t.ArrayRels {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Column is a column of a tracked table.
type Column struct {
	Name     string
	GQLName  string
	Info     *CatalogColumn
	EnumRef  *Table // set when the column references an enum table
	Comment  *string
	Position int
}

// RelKind tells object from array relationships.
type RelKind int

const (
	ObjectRel RelKind = iota
	ArrayRel
)

// Relationship joins a table to another tracked table.
type Relationship struct {
	Name    string
	Kind    RelKind
	Target  *Table
	Mapping []ColumnPair // this table's column -> target's column
	Comment *string
	// Nullable object relationships can come back null (a manual mapping, or
	// a nullable FK column).
	Nullable bool
}

// ColumnPair is one equality of a join.
type ColumnPair struct{ From, To string }

// ComputedField is a function of a row exposed as a field.
type ComputedField struct {
	Name            string
	Function        *CatalogFunction
	TableArgIndex   int
	SessionArgIndex int // -1 when none
	ReturnsTable    *Table
	ReturnType      QualifiedName
	Comment         *string
}

// Function is a tracked SQL function exposed as a root field.
type Function struct {
	Name              QualifiedName
	Source            string // the source it lives in
	GQLName           string
	Info              *CatalogFunction
	Meta              *FunctionMeta
	ReturnsTable      *Table
	SessionArgIndex   int
	ExposedAsMutation bool
	RootFields        struct{ Function, Aggregate string }
}

// EnumValue is a row of an enum table.
type EnumValue struct {
	Value   string
	Comment *string
}

// RootFieldNames are a table's root field names after customization.
type RootFieldNames struct {
	Select, SelectByPk, SelectAggregate, SelectStream string
	Insert, InsertOne                                 string
	Update, UpdateByPk, UpdateMany                    string
	Delete, DeleteByPk                                string
}

// EnumLoader reads an enum table's rows; resolution calls it for is_enum tables.
type EnumLoader func(t *CatalogTable) ([]EnumValue, error)

// Resolve checks metadata against the catalog of the default source. Objects
// that do not match are returned as inconsistencies and left out of the
// snapshot. Added sources are left out: ResolveSources resolves them too.
func Resolve(md *Metadata, cat *Catalog, version int64, loadEnum EnumLoader) *Snapshot {
	return ResolveSources(md, cat, version, loadEnum, nil)
}

// ResolveSources is Resolve with the catalogs of the added sources, by name
// (snapshot_sources.go); an added source missing from added is skipped.
func ResolveSources(md *Metadata, cat *Catalog, version int64, loadEnum EnumLoader, added map[string]AddedSource) *Snapshot {
	s := &Snapshot{Version: version, Metadata: md, Catalog: cat, NotServed: NotServed(md), SourceName: "default",
		tableByName: map[QualifiedName]*Table{}}
	if src := md.Source("default"); src != nil {
		s.resolveCustomization(src)
		s.resolveSource(src, loadEnum)
	}
	s.resolveAddedSources(md, added)
	s.resolveActions(md)
	return s
}

// resolveSource resolves one source's tables and functions into s, whose
// Catalog is that source's.
func (s *Snapshot) resolveSource(src *Source, loadEnum EnumLoader) {
	md := s.Metadata
	for i := range src.Tables {
		tm := &src.Tables[i]
		t, err := resolveTable(tm, s.Catalog)
		if err != nil {
			s.addInconsistent("table", tm.Table.String(), err.Error(), tm.Table, tm.Table, "")
			s.orphanRelationships(tm)
			continue
		}
		t.Source, t.Custom = s.SourceName, s.Customization
		t.RootFields = t.RootFields.customized(s.Customization)
		if tm.IsEnum {
			if t.EnumValues, err = resolveEnum(t, loadEnum); err != nil {
				s.addInconsistent("table", tm.Table.String(), err.Error(), tm.Table, tm.Table, "")
				continue
			}
		}
		s.Tables = append(s.Tables, t)
		s.tableByName[t.Name] = t
	}
	for _, t := range s.Tables {
		s.resolveEnumRefs(t)
		s.resolveRelationships(t)
	}
	for _, t := range s.Tables {
		s.resolveComputedFields(t)
	}
	for _, t := range s.Tables {
		s.resolvePermissions(t)
	}
	s.resolveInheritedWrites(md)
	for i := range src.Functions {
		fm := &src.Functions[i]
		f, err := s.resolveFunction(fm)
		if err != nil {
			s.addInconsistent("function", fm.Function.String(), err.Error(), fm.Function, fm.Function, "")
			s.Inconsistent[len(s.Inconsistent)-1].code = errorCode(err)
			continue
		}
		f.Source = s.SourceName
		f.RootFields.Function = s.Customization.RootField(f.RootFields.Function)
		f.RootFields.Aggregate = s.Customization.RootField(f.RootFields.Aggregate)
		s.Functions = append(s.Functions, f)
	}
}

// addInconsistent records an object left out of the snapshot; table and item
// identify it so drop_inconsistent_metadata and run_sql cascade can remove it.
func (s *Snapshot) addInconsistent(typ, name, reason string, def any, table QualifiedName, item string) {
	b, _ := json.Marshal(def)
	s.Inconsistent = append(s.Inconsistent, InconsistentObject{Definition: b, Name: typ + " " + name, Reason: reason,
		Type: typ, table: table, item: item})
}

func resolveTable(tm *TableMeta, cat *Catalog) (*Table, error) {
	info := cat.Tables[tm.Table]
	if info == nil {
		return nil, fmt.Errorf("no such table/view exists in source: %q", tm.Table.String())
	}
	t := &Table{Name: tm.Table, Info: info, Meta: tm, IsEnum: tm.IsEnum,
		columnByName: map[string]*Column{}, columnByGQL: map[string]*Column{}}
	t.GQLName = DefaultGQLName(tm.Table)
	cfg := tm.Configuration
	if cfg != nil && cfg.CustomName != "" {
		t.GQLName = cfg.CustomName
	}
	for _, ci := range info.Columns {
		c := &Column{Name: ci.Name, GQLName: ci.Name, Info: ci, Comment: ci.Comment, Position: ci.Position}
		if cfg != nil {
			if n, ok := cfg.CustomColumnNames[ci.Name]; ok && n != "" {
				c.GQLName = n
			}
			if cc, ok := cfg.ColumnConfig[ci.Name]; ok {
				if cc.CustomName != "" {
					c.GQLName = cc.CustomName
				}
				if cc.Comment != nil {
					c.Comment = cc.Comment
				}
			}
		}
		t.Columns = append(t.Columns, c)
		t.columnByName[c.Name] = c
		t.columnByGQL[c.GQLName] = c
	}
	for _, pk := range info.PrimaryKey {
		t.PrimaryKey = append(t.PrimaryKey, t.columnByName[pk])
	}
	t.RootFields = defaultRootFields(t.GQLName)
	if cfg != nil {
		applyCustomRootFields(&t.RootFields, cfg.CustomRootFields)
	}
	return t, nil
}

// DefaultGQLName is Hasura's name for a table: the bare name in public,
// schema_name elsewhere.
func DefaultGQLName(q QualifiedName) string {
	if q.Schema == "public" {
		return q.Name
	}
	return q.Schema + "_" + q.Name
}

func defaultRootFields(n string) RootFieldNames {
	return RootFieldNames{
		Select: n, SelectByPk: n + "_by_pk", SelectAggregate: n + "_aggregate", SelectStream: n + "_stream",
		Insert: "insert_" + n, InsertOne: "insert_" + n + "_one",
		Update: "update_" + n, UpdateByPk: "update_" + n + "_by_pk", UpdateMany: "update_" + n + "_many",
		Delete: "delete_" + n, DeleteByPk: "delete_" + n + "_by_pk",
	}
}

func applyCustomRootFields(rf *RootFieldNames, custom map[string]any) {
	targets := map[string]*string{
		"select": &rf.Select, "select_by_pk": &rf.SelectByPk, "select_aggregate": &rf.SelectAggregate,
		"select_stream": &rf.SelectStream, "insert": &rf.Insert, "insert_one": &rf.InsertOne,
		"update": &rf.Update, "update_by_pk": &rf.UpdateByPk, "update_many": &rf.UpdateMany,
		"delete": &rf.Delete, "delete_by_pk": &rf.DeleteByPk,
	}
	for k, v := range custom {
		dst := targets[k]
		if dst == nil {
			continue
		}
		switch v := v.(type) {
		case string:
			if v != "" {
				*dst = v
			}
		case map[string]any:
			if n, ok := v["name"].(string); ok && n != "" {
				*dst = n
			}
		}
	}
}

func resolveEnum(t *Table, load EnumLoader) ([]EnumValue, error) {
	if len(t.Info.PrimaryKey) != 1 {
		return nil, fmt.Errorf("the table %q cannot be used as an enum because it does not have a single-column primary key", t.Name.String())
	}
	if pk := t.Column(t.Info.PrimaryKey[0]); pk.Info.TypeName != "text" && pk.Info.TypeName != "varchar" {
		return nil, fmt.Errorf("the table %q cannot be used as an enum because its primary key column is not of type text", t.Name.String())
	}
	if len(t.Columns) > 2 {
		return nil, fmt.Errorf("the table %q cannot be used as an enum because it has more than two columns", t.Name.String())
	}
	if load == nil {
		return nil, nil
	}
	vals, err := load(t.Info)
	if err != nil {
		return nil, err
	}
	if err := checkEnumValues(t, vals); err != nil {
		return nil, err
	}
	return vals, nil
}

// resolveEnumRefs marks columns whose single-column foreign key points at an enum table.
func (s *Snapshot) resolveEnumRefs(t *Table) {
	for _, fk := range t.Info.ForeignKeys {
		if len(fk.Columns) != 1 {
			continue
		}
		if target := s.tableByName[fk.RefTable]; target != nil && target.IsEnum {
			t.Column(fk.Columns[0]).EnumRef = target
		}
	}
}
