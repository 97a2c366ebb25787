package replication

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// firstNormalOID is FirstNormalObjectId: json.c only looks for casts to json
// on types created after initdb (extensions, user types).
const firstNormalOID = 16384

// builtinCategories covers the built-in types whose category is fixed, so
// common tables decode without a catalog query. Every other type is looked
// up once (typeCache.load).
var builtinCategories = map[uint32]category{
	16: catBool,
	20: catNumeric, 21: catNumeric, 23: catNumeric, 700: catNumeric, 701: catNumeric, 1700: catNumeric,
	1082: catDate, 1114: catTimestamp, 1184: catTimestampTZ,
	114: catJSON, 3802: catJSON,
	// text-like and other scalars rendered as JSON strings
	17: catOther, 18: catOther, 19: catOther, 25: catOther, 26: catOther, 142: catOther, 650: catOther,
	774: catOther, 790: catOther, 829: catOther, 869: catOther, 1042: catOther, 1043: catOther,
	1083: catOther, 1186: catOther, 1266: catOther, 1560: catOther, 1562: catOther, 2950: catOther,
	3614: catOther, 3904: catOther, 3906: catOther, 3908: catOther, 3910: catOther, 3912: catOther, 3926: catOther,
}

// builtinArrays maps built-in array types to their element types (all with
// the ',' delimiter).
var builtinArrays = map[uint32]uint32{
	1000: 16, 1001: 17, 1002: 18, 1003: 19, 1005: 21, 1007: 23, 1009: 25, 1014: 1042, 1015: 1043,
	1016: 20, 1021: 700, 1022: 701, 1028: 26, 1115: 1114, 1182: 1082, 1183: 1083, 1185: 1184,
	1187: 1186, 1231: 1700, 1270: 1266, 199: 114, 3807: 3802, 2951: 2950, 1041: 869, 651: 650,
	791: 790, 143: 142, 1040: 829, 775: 774,
}

// typeCache resolves type OIDs to rendering information. It is used by one
// goroutine (the session's receive loop) and needs no lock. Catalog lookups
// go through query, a normal (non-replication) connection.
type typeCache struct {
	query queryer
	types map[uint32]*pgType
}

// queryer is the part of pgx used for catalog lookups (a pool or a conn).
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func newTypeCache(q queryer) *typeCache {
	c := &typeCache{query: q}
	c.reset()
	return c
}

// reset forgets everything but the built-in types. Called on every Relation
// message, i.e. whenever a published table's definition may have changed,
// so composite and domain definitions are read again.
func (c *typeCache) reset() {
	c.types = make(map[uint32]*pgType, len(builtinCategories)+len(builtinArrays))
	for oid, cat := range builtinCategories {
		c.types[oid] = &pgType{oid: oid, cat: cat}
	}
	for oid, elem := range builtinArrays {
		c.types[oid] = &pgType{oid: oid, cat: catArray, elem: c.types[elem], delim: ','}
	}
}

// get returns the type's rendering information, reading the catalog the
// first time an OID is seen.
func (c *typeCache) get(ctx context.Context, oid uint32) (*pgType, error) {
	if t, ok := c.types[oid]; ok {
		return t, nil
	}
	return c.load(ctx, oid, 0)
}

func (c *typeCache) load(ctx context.Context, oid uint32, depth int) (*pgType, error) {
	if t, ok := c.types[oid]; ok {
		return t, nil
	}
	if depth > 32 {
		return nil, fmt.Errorf("type %d: nesting too deep", oid)
	}
	if c.query == nil {
		return nil, fmt.Errorf("type %d is not built in and no catalog connection is available", oid)
	}
	// typsubscript (PostgreSQL 14+) is read through to_jsonb so the query
	// also runs on servers without the column; json.c treats a type as an
	// array when get_element_type finds an element type.
	var (
		typtype           string
		base, relid, elem uint32
		typlen            int16
		subscript         string
		elemDelim         string
		hasJSONCast       bool
	)
	err := c.query.QueryRow(ctx, `
		SELECT t.typtype::text, t.typbasetype, t.typrelid, t.typelem, t.typlen,
		       coalesce(to_jsonb(t) ->> 'typsubscript', ''), coalesce(e.typdelim::text, ','),
		       EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = t.oid
		                 AND c.casttarget = 'json'::regtype AND c.castmethod = 'f')
		FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
		WHERE t.oid = $1`, oid).Scan(&typtype, &base, &relid, &elem, &typlen, &subscript, &elemDelim, &hasJSONCast)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("type %d not found in pg_type", oid)
	}
	if err != nil {
		return nil, fmt.Errorf("read type %d: %w", oid, err)
	}
	var t *pgType
	switch {
	case typtype == "d":
		// json.c looks through domains: a domain renders like its base type.
		bt, err := c.load(ctx, base, depth+1)
		if err != nil {
			return nil, err
		}
		t = bt
	case elem != 0 && typlen == -1 && (subscript == "" || subscript == "array_subscript_handler"):
		et, err := c.load(ctx, elem, depth+1)
		if err != nil {
			return nil, err
		}
		t = &pgType{oid: oid, cat: catArray, elem: et, delim: elemDelim[0], server: et.server}
	case typtype == "c":
		attrs, err := c.loadAttributes(ctx, relid, depth)
		if err != nil {
			return nil, fmt.Errorf("type %d: %w", oid, err)
		}
		t = &pgType{oid: oid, cat: catComposite, attrs: attrs}
		for _, a := range attrs {
			t.server = t.server || a.typ.server
		}
	case oid >= firstNormalOID && hasJSONCast:
		t = &pgType{oid: oid, cat: catServer, server: true}
	default:
		t = &pgType{oid: oid, cat: builtinCategories[oid]} // catOther unless built in
	}
	c.types[oid] = t
	return t, nil
}

func (c *typeCache) loadAttributes(ctx context.Context, relid uint32, depth int) ([]attribute, error) {
	rows, err := c.query.Query(ctx, `
		SELECT attname::text, atttypid FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, relid)
	if err != nil {
		return nil, fmt.Errorf("read attributes of relation %d: %w", relid, err)
	}
	type col struct {
		name string
		oid  uint32
	}
	var cols []col
	for rows.Next() {
		var k col
		if err := rows.Scan(&k.name, &k.oid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read attributes of relation %d: %w", relid, err)
		}
		cols = append(cols, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attributes of relation %d: %w", relid, err)
	}
	attrs := make([]attribute, len(cols))
	for i, k := range cols {
		t, err := c.load(ctx, k.oid, depth+1)
		if err != nil {
			return nil, err
		}
		attrs[i] = attribute{name: k.name, typ: t}
	}
	return attrs, nil
}
