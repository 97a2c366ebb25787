package graphql

import (
	"bytes"
	"context"

	"github.com/graphql-go/graphql/language/ast"
)

// OperationResult is what a WebSocket operation produced: a running live
// query, or the one body of a query or mutation (possibly an error).
type OperationResult struct {
	Sub          *LiveSub
	Body         []byte
	RequestError bool // Body reports a request error (parse, validation, variables)
}

// StartOperation runs one operation of a WebSocket client. A subscription
// joins (or starts) its live-query cohort; push receives every result,
// starting with the current one. Stop it with Live.Unsubscribe.
func (e *Engine) StartOperation(ctx context.Context, sess Session, req *Request, push func([]byte)) OperationResult {
	// The Guard first (a subscription gets no time limit: it keeps ctx).
	run, release, err := e.admit(ctx, sess, req)
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	defer release()
	rs, err := e.roleSchema(sess)
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	prep, err := e.prepare(rs, req)
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	if prep.op.Operation != ast.OperationTypeSubscription {
		res := timedOut(ctx, run, e.executeAdmitted(run, sess, req, nil, false))
		return OperationResult{Body: res.Body, RequestError: res.RequestError}
	}
	vars, err := coerceVariables(prep, req.Variables)
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	if err := rs.refusedSubscription(prep, vars); err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	groups := collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, "subscription_root", prep.frags, vars)
	for _, g := range groups {
		t, ok := rs.streams[g.Name]
		if !ok {
			continue
		}
		if len(groups) != 1 {
			return OperationResult{Body: errorBody(validationErr("$", "a streaming subscription must be the only root field")), RequestError: true}
		}
		s, err := newStream(e.Live, rs, prep, vars, sess, g, t, push)
		if err != nil {
			return OperationResult{Body: errorBody(err), RequestError: true}
		}
		return OperationResult{Sub: e.Live.subscribeStream(ctx, s)}
	}
	fields, ok, err := e.planSourceLive(rs, prep, vars, sess, req, groups)
	if !ok {
		fields, err = plan(rs, prep, vars, sess)
	}
	if err == nil && hasJoins(fields) {
		err = errRemoteRelSubscription
	}
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	key := liveKey{role: sess.Role, backendOnly: sess.BackendOnly, relay: e.relay, query: req.Query, operation: req.OperationName,
		variables: string(bytes.TrimSpace(req.Variables)), session: sess.JSON()}
	sub, err := e.Live.subscribe(ctx, key, fields, push)
	if err != nil {
		return OperationResult{Body: errorBody(err), RequestError: true}
	}
	return OperationResult{Sub: sub}
}
