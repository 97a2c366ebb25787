package graphql

import (
	"context"
	"errors"

	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// Guard vets every operation before the engine parses it, as Hasura checks
// its allow list and API limits before anything else (package proxy/guard
// implements it). Admit returns the context to run the operation in (with
// its time limit) and the function that releases that context, or a
// *Refusal.
type Guard interface {
	Admit(ctx context.Context, sess Session, req *Request) (run context.Context, release context.CancelFunc, err error)
}

// Refusal is an operation the Guard turned down (or ran out of time: the
// cause of the run context), answered in Hasura's error shape at path $.
type Refusal struct {
	Code, Message string
}

func (r *Refusal) Error() string { return r.Message }

// ParseDocument parses a query as the engine reads it: graphql-go's parser
// predates the null literal, so each null becomes the marker enum value
// (kept, unlike in execution: a null argument and an absent one are
// different documents to compare).
func ParseDocument(query string) (*ast.Document, error) {
	body := []byte(query)
	markNulls(body)
	return parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: body, Name: "GraphQL request"})})
}

func noRelease() {}

// ErrorBody renders an error (a *Refusal, say) as a response body in
// Hasura's GraphQL error shape.
func ErrorBody(err error) []byte { return errorBody(err) }

// admit asks the Guard, when there is one.
func (e *Engine) admit(ctx context.Context, sess Session, req *Request) (context.Context, context.CancelFunc, error) {
	if e.Guard == nil {
		return ctx, noRelease, nil
	}
	return e.Guard.Admit(ctx, sess, req)
}

// timedOut replaces res with the time limit's refusal when run (the
// context admit gave) ended by its deadline while the caller's ctx did not:
// whatever error the database reported then was the cancellation.
func timedOut(ctx, run context.Context, res Result) Result {
	if run == ctx || run.Err() == nil || ctx.Err() != nil {
		return res
	}
	var r *Refusal
	if errors.As(context.Cause(run), &r) {
		return Result{Body: errorBody(r), RequestError: false}
	}
	return res
}
