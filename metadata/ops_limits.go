package metadata

import (
	"encoding/json"
	"fmt"
)

// set_api_limits and remove_api_limits (Hasura.RQL.DDL.ApiLimit): the whole
// api_limits object is replaced, as in Hasura.

func opSetAPILimits(w *work, r *Request) (any, error) {
	var l APILimits
	if err := decodeArgs(r, &l); err != nil {
		return nil, err
	}
	if err := checkLimits(&l); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	b, err := json.Marshal(&l)
	if err != nil {
		return nil, fmt.Errorf("encode api_limits: %w", err)
	}
	w.md.APILimits = b
	w.changed = true
	return success, nil
}

func opRemoveAPILimits(w *work, r *Request) (any, error) {
	w.md.APILimits = nil
	w.changed = true
	return success, nil
}

// checkLimits refuses values that cannot mean anything (a negative depth,
// a rate of no requests at all): Hasura's JSON decoding accepts them.
func checkLimits(l *APILimits) error {
	ints := []struct {
		name string
		l    *Limit[int]
		min  int
	}{{"depth_limit", l.DepthLimit, 0}, {"node_limit", l.NodeLimit, 0}, {"batch_limit", l.BatchLimit, 1}}
	for _, c := range ints {
		if c.l == nil {
			continue
		}
		if c.l.Global < c.min {
			return fmt.Errorf("%s.global must be at least %d", c.name, c.min)
		}
		for role, v := range c.l.PerRole {
			if v < c.min {
				return fmt.Errorf("%s.per_role.%s must be at least %d", c.name, role, c.min)
			}
		}
	}
	if t := l.TimeLimit; t != nil {
		if t.Global <= 0 {
			return fmt.Errorf("time_limit.global must be a positive number of seconds")
		}
		for role, v := range t.PerRole {
			if v <= 0 {
				return fmt.Errorf("time_limit.per_role.%s must be a positive number of seconds", role)
			}
		}
	}
	if rl := l.RateLimit; rl != nil {
		if rl.Global.MaxReqsPerMin < 1 {
			return fmt.Errorf("rate_limit.global.max_reqs_per_min must be at least 1")
		}
		for role, v := range rl.PerRole {
			if v.MaxReqsPerMin < 1 {
				return fmt.Errorf("rate_limit.per_role.%s.max_reqs_per_min must be at least 1", role)
			}
		}
	}
	return nil
}

// checkSecurityParts refuses, as Hasura's parser does, a replace_metadata
// whose allow list, query collections or API limits cannot be read: the
// guard could not apply them.
func checkSecurityParts(md *Metadata) error {
	bad := func(err error) error {
		return &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	// The queries' text is not parsed here: a query Graft's parser cannot
	// read never matches, which is safer than refusing a Hasura export.
	if _, err := md.Collections(); err != nil {
		return bad(err)
	}
	if _, err := md.AllowlistEntries(); err != nil {
		return bad(err)
	}
	l, err := md.Limits()
	if err != nil {
		return bad(err)
	}
	if l != nil {
		if err := checkLimits(l); err != nil {
			return bad(fmt.Errorf("api_limits: %w", err))
		}
	}
	return nil
}
