package graphql

import (
	"encoding/json"
	"strings"
	"sync"
)

// A prepared query operation keeps the SQL it compiled to, per variable
// shape (reuse.go), so that a repeated request only rebuilds its bind
// arguments: no walk of the operation, no SQL text. The first request of
// a shape compiles as before, with its bound variables and the session
// variables its permission filters compare wrapped in boundValue; typed()
// binds each one and records the argument it filled (an argSlot). Later
// requests copy the statements and fill the slots from their own variables
// and session. The SQL text is the same by construction: a boundValue only
// reaches typed(), whose SQL does not depend on the value, and the shape
// key holds everything else the compiler reads from the request.

// boundValue stands, in a compile for reuse, for a request value that only
// becomes a bind argument: a bound variable, or a session variable that a
// permission filter compares with a simple operator.
type boundValue struct {
	name    string // the variable, or the lower-case session variable
	session bool
	v       any
}

// argSlot is where a boundValue went: argument arg of its statement, bound as typ.
type argSlot struct {
	arg     int
	name    string
	session bool
	typ     pgType
}

// compiledOp is an operation compiled for one variable shape: its root
// fields with the arguments that do not come from the request (literals,
// role limits), and per field the slots each request fills.
type compiledOp struct {
	fields []plannedField
	slots  [][]argSlot
}

// maxShapes bounds the variants one operation keeps (keyed variables).
const maxShapes = 64

// sqlCache is a prepared operation's compiled variants by shape key.
type sqlCache struct {
	mu      sync.Mutex
	byShape map[string]*compiledOp
}

func (s *sqlCache) get(key []byte) *compiledOp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byShape[string(key)]
}

func (s *sqlCache) put(key string, co *compiledOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byShape == nil {
		s.byShape = map[string]*compiledOp{}
	}
	if len(s.byShape) < maxShapes {
		s.byShape[key] = co
	}
}

// planCached is plan with the compiled SQL reused when the operation and
// the request's variable shape allow it.
func planCached(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) ([]plannedField, error) {
	if fields, ok := boundCached(prep, vars, sess); ok {
		return fields, nil
	}
	return compileCached(rs, prep, vars, sess)
}

// boundCached is the cached SQL of the variables' shape bound to their
// values, when there is one.
func boundCached(prep *preparedOp, vars map[string]any, sess Session) ([]plannedField, bool) {
	if prep.reuse == nil {
		return nil, false
	}
	var buf [64]byte
	key, ok := prep.reuse.shapeKey(buf[:0], vars)
	if !ok {
		return nil, false
	}
	if co := prep.sql.get(key); co != nil {
		// Not bound when a session variable the filters compare is
		// missing: the compiler reports it, as for a first request.
		return co.bind(vars, sess)
	}
	return nil, false
}

// compileCached compiles the operation's SQL for vars, and keeps it for
// the variables' shape when it can be reused.
func compileCached(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) ([]plannedField, error) {
	if prep.reuse == nil {
		return plan(rs, prep, vars, sess)
	}
	var buf [64]byte
	key, ok := prep.reuse.shapeKey(buf[:0], vars)
	if !ok || prep.sql.get(key) != nil {
		return plan(rs, prep, vars, sess)
	}
	fields, slots, reusable, err := planForReuse(rs, prep, vars, sess)
	if err != nil {
		return nil, err
	}
	if reusable {
		prep.sql.put(string(key), &compiledOp{fields: fields, slots: slots})
	}
	return fields, nil
}

// planForReuse compiles with the bound variables wrapped, returning each
// field's slots; reusable is false when the compiler read a request value
// another way (a session variable outside a simple comparison, the session
// as a function argument).
func planForReuse(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) (fields []plannedField, slots [][]argSlot, reusable bool, err error) {
	rec := &reuseRecord{vars: make(map[string]any, len(vars))}
	for k, v := range vars {
		rec.vars[k] = v
	}
	for _, vr := range prep.reuse.vars {
		if v := vars[vr.name]; vr.bound && v != nil {
			rec.vars[vr.name] = boundValue{name: vr.name, v: v}
		}
	}
	fields, err = compileFields(rs, prep, vars, sess, rec)
	return fields, rec.slots, !rec.notReusable, err
}

// reuseRecord is what a compile for reuse gathers: the variables as the
// compiler sees them (bound ones wrapped), each root field's slots, and
// whether some request value was read in a way a later request cannot redo.
type reuseRecord struct {
	vars        map[string]any
	slots       [][]argSlot // by root field
	notReusable bool
}

// bind copies the compiled fields with this request's values in the slots.
// ok is false when a slot's value is missing (a session variable).
func (co *compiledOp) bind(vars map[string]any, sess Session) ([]plannedField, bool) {
	out := make([]plannedField, len(co.fields))
	copy(out, co.fields)
	for i, slots := range co.slots {
		if len(slots) == 0 {
			continue
		}
		args := make([]any, len(out[i].args))
		copy(args, out[i].args)
		for _, s := range slots {
			var v any
			if s.session {
				sv, ok := sess.Vars[s.name]
				if !ok {
					return nil, false
				}
				v = sv
			} else if v = vars[s.name]; v == nil {
				return nil, false // the shape key rules this out
			}
			a, err := bindArg(v, s.typ)
			if err != nil {
				return nil, false
			}
			args[s.arg] = a
		}
		out[i].args = args
	}
	return out, true
}

// bindArg is the bind argument typed() passes for v as typ: text Postgres
// parses as that type (JSON text for json/jsonb, an array literal for arrays).
func bindArg(v any, typ pgType) (any, error) {
	if typ.Name == "json" || typ.Name == "jsonb" {
		// A GraphQL string is a JSON string, not JSON text.
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(toJSONValue(v))
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	if list, ok := v.([]any); ok && strings.HasPrefix(typ.Name, "_") {
		lit, err := arrayLiteral(list)
		return lit, err
	}
	return textOf(v)
}
