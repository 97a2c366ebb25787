package graphql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
)

// ltree columns get Hasura's hierarchy operators. Their operands are label
// paths (ltree), lquery patterns or ltxtquery full-text queries; Hasura
// checks label paths itself, the other two are left to Postgres.

// ltreeOps maps each operator to its Postgres operator. With an array
// operand, `path @> array` holds when the path is an ancestor of some
// element and `path <@ array` when it is a descendant of one.
var ltreeOps = map[string]string{
	"_ancestor": "@>", "_ancestor_any": "@>", "_descendant": "<@", "_descendant_any": "<@",
	"_matches": "~", "_matches_any": "?", "_matches_fulltext": "@",
}

func (b *schemaBuilder) ltreeComparisons(st graphql.Type, fields graphql.InputObjectConfigFieldMap) {
	list := graphql.NewList(graphql.NewNonNull(st))
	add := func(name string, t graphql.Input, desc string) {
		fields[name] = &graphql.InputObjectFieldConfig{Type: t, Description: desc}
	}
	add("_ancestor", st, "is the left argument an ancestor of right (or equal)?")
	add("_ancestor_any", list, "does array contain an ancestor of `ltree`?")
	add("_descendant", st, "is the left argument a descendant of right (or equal)?")
	add("_descendant_any", list, "does array contain a descendant of `ltree`?")
	add("_matches", b.scalar("lquery"), "does `ltree` match `lquery`?")
	add("_matches_any", graphql.NewList(graphql.NewNonNull(graphql.String)), "does `ltree` match any `lquery` in array?")
	add("_matches_fulltext", b.scalar("ltxtquery"), "does `ltree` match `ltxtquery`?")
}

// ltreeComparison compiles one ltree operator; sqlOp is its ltreeOps entry.
func (c *compiler) ltreeComparison(lhs string, typ pgType, op, sqlOp string, v any) (string, error) {
	operand := pgType{Schema: typ.Schema, Name: "ltree"} // the extension's schema
	switch op {
	case "_matches", "_matches_any":
		operand.Name = "lquery"
	case "_matches_fulltext":
		operand.Name = "ltxtquery"
	}
	if !strings.HasSuffix(op, "_any") {
		if op == "_ancestor" || op == "_descendant" {
			if err := checkLabelPath(v, ""); err != nil {
				return "", err
			}
		}
		rhs, err := c.typed(v, operand)
		return lhs + " " + sqlOp + " " + rhs, err
	}
	list := asList(v)
	texts := make([]*string, len(list))
	for i, x := range list {
		if op != "_matches_any" {
			if err := checkLabelPath(x, "["+strconv.Itoa(i)+"]"); err != nil {
				return "", err
			}
		}
		t, err := textOf(x)
		if err != nil {
			return "", err
		}
		if s, ok := t.(string); ok {
			texts[i] = &s
		}
	}
	return lhs + " " + sqlOp + " " + c.param(texts) + "::text[]::" + operand.sql() + "[]", nil
}

// checkLabelPath rejects a label path with an empty label, as Hasura's
// ltree parser does; rel is the value's path within the operator.
func checkLabelPath(v any, rel string) error {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return &exprError{rel: rel, qe: &queryError{Code: "parse-failed", Path: "$",
				Message: "Expecting label path: a sequence of zero or more labels separated by dots, for example L1.L2.L3"}}
		}
	}
	return nil
}

// exprError is an invalid operand inside a boolean expression. Its path is
// relative to the expression: each enclosing level prefixes its key
// (atExpr), and the caller that knows where the expression is in the
// request completes it (exprErrorAt). Unwrapped, it is the plain error at $.
type exprError struct {
	rel string
	qe  *queryError
}

func (e *exprError) Error() string { return e.qe.Message }
func (e *exprError) Unwrap() error { return e.qe }

// atExpr prefixes seg to the relative path of an exprError.
func atExpr(err error, seg string) error {
	var ee *exprError
	if errors.As(err, &ee) {
		ee.rel = seg + ee.rel
	}
	return err
}

// exprErrorAt anchors an exprError at base, the expression's path.
func exprErrorAt(err error, base string) error {
	var ee *exprError
	if errors.As(err, &ee) {
		return &queryError{Code: ee.qe.Code, Path: base + ee.rel, Message: ee.qe.Message}
	}
	return err
}
