package graphql

// output is outputExpr with the engine's HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES:
// when set, numeric and double precision values are written as JSON strings
// (keeping every digit, as Hasura does); real stays a number.
func (c *compiler) output(expr, typname string) string {
	if c.rs.stringifyNumeric && (typname == "numeric" || typname == "float8") {
		return "(" + expr + ")::text"
	}
	return outputExpr(expr, typname)
}
