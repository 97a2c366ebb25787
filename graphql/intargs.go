package graphql

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// graphql-go accepts any integer literal for Int; Hasura's Int is 32 bits
// and a literal outside that range fails to parse at its argument path.
// checkIntLiterals walks the operation's arguments along the schema once
// per prepared operation (variables are checked by checkVariables).
func checkIntLiterals(s *graphql.Schema, op *ast.OperationDefinition, frags fragments) error {
	var root *graphql.Object
	switch op.Operation {
	case ast.OperationTypeMutation:
		root = s.MutationType()
	case ast.OperationTypeSubscription:
		root = s.SubscriptionType()
	default:
		root = s.QueryType()
	}
	if root == nil {
		return nil // no such root: validation already answered
	}
	w := &intWalk{schema: s, frags: frags, seen: map[string]bool{}}
	return w.selections(root, op.SelectionSet, "$")
}

type intWalk struct {
	schema *graphql.Schema
	frags  fragments
	seen   map[string]bool // fragments already walked (cycles are invalid anyway)
}

func (w *intWalk) selections(parent graphql.Type, set *ast.SelectionSet, path string) error {
	if set == nil {
		return nil
	}
	for _, sel := range set.Selections {
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			err = w.field(parent, s, path)
		case *ast.InlineFragment:
			t := parent
			if s.TypeCondition != nil {
				t = w.schema.Type(s.TypeCondition.Name.Value)
			}
			err = w.selections(t, s.SelectionSet, path)
		case *ast.FragmentSpread:
			f := w.frags[s.Name.Value]
			if f == nil || w.seen[s.Name.Value] {
				continue
			}
			w.seen[s.Name.Value] = true
			err = w.selections(w.schema.Type(f.TypeCondition.Name.Value), f.SelectionSet, path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *intWalk) field(parent graphql.Type, f *ast.Field, path string) error {
	var fields graphql.FieldDefinitionMap
	switch p := parent.(type) {
	case *graphql.Object:
		if p != nil {
			fields = p.Fields()
		}
	case *graphql.Interface:
		if p != nil {
			fields = p.Fields()
		}
	}
	def := fields[f.Name.Value]
	if def == nil {
		return nil // __typename, introspection, or unknown (validation reports it)
	}
	key := f.Name.Value
	if f.Alias != nil {
		key = f.Alias.Value
	}
	fpath := path + ".selectionSet." + key
	for _, a := range f.Arguments {
		for _, ad := range def.Args {
			if ad.Name() == a.Name.Value {
				if err := intLiteral(ad.Type, a.Value, fpath+".args."+a.Name.Value); err != nil {
					return err
				}
			}
		}
	}
	named, _ := graphql.GetNamed(def.Type).(graphql.Type)
	return w.selections(named, f.SelectionSet, fpath)
}

// intLiteral checks the Int literals in v, a value of type t.
func intLiteral(t graphql.Input, v ast.Value, path string) error {
	switch t := t.(type) {
	case *graphql.NonNull:
		return intLiteral(t.OfType.(graphql.Input), v, path)
	case *graphql.List:
		inner := t.OfType.(graphql.Input)
		list, ok := v.(*ast.ListValue)
		if !ok {
			return intLiteral(inner, v, path)
		}
		for i, x := range list.Values {
			if err := intLiteral(inner, x, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case *graphql.InputObject:
		obj, ok := v.(*ast.ObjectValue)
		if !ok {
			return nil
		}
		fields := t.Fields()
		for _, f := range obj.Fields {
			if def, ok := fields[f.Name.Value]; ok {
				if err := intLiteral(def.Type, f.Value, path+"."+f.Name.Value); err != nil {
					return err
				}
			}
		}
	case *graphql.Scalar:
		iv, ok := v.(*ast.IntValue)
		if !ok || t != graphql.Int {
			return nil
		}
		if _, err := strconv.ParseInt(iv.Value, 10, 32); err != nil {
			return &queryError{Code: "parse-failed", Path: path, Message: "The value " + scientific(iv.Value) +
				" lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?"}
		}
	}
	return nil
}

// scientific renders an integer literal as Haskell shows a Scientific
// (3000000000 -> 3.0e9), the form Hasura's message quotes.
func scientific(lit string) string {
	n, ok := new(big.Int).SetString(lit, 10)
	if !ok {
		return lit
	}
	sign, digits := "", n.String()
	if n.Sign() < 0 {
		sign, digits = "-", digits[1:]
	}
	exp := len(digits) - 1
	frac := strings.TrimRight(digits[1:], "0")
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:1] + "." + frac + "e" + strconv.Itoa(exp)
}
