package graphql

// Hooks for the external tests of the compiled-SQL cache (sqlcache_test.go).

// CompileFresh is Compile without reusing compiled SQL.
func (e *Engine) CompileFresh(sess Session, req *Request) ([]Statement, []byte) {
	return e.compile(sess, req, plan)
}

// Reusable reports whether the request's operation keeps its compiled SQL
// (reuse.go), and the request's shape key.
func (e *Engine) Reusable(sess Session, req *Request) (bool, string) {
	rs, err := e.roleSchema(sess)
	if err != nil {
		return false, ""
	}
	prep, err := e.prepare(rs, req)
	if err != nil || prep.reuse == nil {
		return false, ""
	}
	vars, err := coerceVariables(prep, req.Variables)
	if err != nil {
		return false, ""
	}
	key, ok := prep.reuse.shapeKey(nil, vars)
	return ok, string(key)
}
