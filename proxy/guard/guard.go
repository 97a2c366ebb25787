// Package guard admits or refuses each GraphQL operation before the engine
// runs it: the allow list (HASURA_GRAPHQL_ENABLE_ALLOWLIST with the
// metadata's query collections) and the metadata's API limits (depth,
// nodes, batch size, time, rate), which Hasura keeps for its paid editions.
package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/redis/go-redis/v9"
)

// Guard implements graphql.Guard. The admin role is never checked, as in
// Hasura.
type Guard struct {
	meta      graphql.SnapshotSource
	allowlist bool
	log       *slog.Logger
	limiter   limiter
	docs      documents
	rules     atomic.Pointer[rules]
	// lastLimiterError throttles the log of a failing Redis to one line a minute.
	lastLimiterError atomic.Int64
	// local: rate limits count in this process, which the log says once,
	// when a rate limit first applies.
	local     bool
	localOnce sync.Once
}

// New returns a guard over the metadata of meta; allowlist is
// HASURA_GRAPHQL_ENABLE_ALLOWLIST. Rate limits count in Redis when client
// is not nil, so that replicas share them; otherwise in this process,
// which the log says once.
func New(meta graphql.SnapshotSource, allowlist bool, client *redis.Client, log *slog.Logger) *Guard {
	g := &Guard{meta: meta, allowlist: allowlist, log: log}
	if client != nil {
		g.limiter = newRedisLimiter(client)
	} else {
		g.limiter = newMemoryLimiter()
		g.local = true
	}
	return g
}

// rules are the allowed documents and limits of one metadata snapshot,
// computed once when the snapshot is first used.
type rules struct {
	snap    *metadata.Snapshot
	global  map[string]bool            // normalised documents every role may run
	perRole map[string]map[string]bool // and those of role-scoped collections
	limits  *metadata.APILimits        // nil when none or disabled
}

func (g *Guard) current() *rules {
	snap := g.meta.Snapshot()
	if r := g.rules.Load(); r != nil && r.snap == snap {
		return r
	}
	r := compile(snap, g.log)
	g.rules.Store(r)
	return r
}

// compile reads the snapshot's allow list and limits. A part it cannot
// read is logged and left out: metadata checks kept it from being stored
// through the API, and a hand-edited one must not stop every request.
func compile(snap *metadata.Snapshot, log *slog.Logger) *rules {
	r := &rules{snap: snap, global: map[string]bool{}, perRole: map[string]map[string]bool{}}
	if snap == nil || snap.Metadata == nil {
		return r
	}
	md := snap.Metadata
	limits, err := md.Limits()
	if err != nil {
		log.Error("api_limits cannot be read; no API limit applies", "error", err)
	} else if limits != nil && !limits.Disabled {
		r.limits = limits
	}
	colls, err := md.Collections()
	if err != nil {
		log.Error("query_collections cannot be read; the allow list allows nothing", "error", err)
		return r
	}
	entries, err := md.AllowlistEntries()
	if err != nil {
		log.Error("allowlist cannot be read; it allows nothing", "error", err)
		return r
	}
	byName := map[string]*metadata.QueryCollection{}
	for i := range colls {
		byName[colls[i].Name] = &colls[i]
	}
	for _, e := range entries {
		c := byName[e.Collection]
		if c == nil {
			continue
		}
		for _, q := range c.Definition.Queries {
			d := analyse(q.Query)
			if !d.parsed {
				continue
			}
			if e.Scope.Global {
				r.global[d.normalised] = true
				continue
			}
			for _, role := range e.Scope.Roles {
				if r.perRole[role] == nil {
					r.perRole[role] = map[string]bool{}
				}
				r.perRole[role][d.normalised] = true
			}
		}
	}
	return r
}

func release() {}

// Admit checks the allow list, then the depth, node and rate limits, and
// sets the time limit of queries and mutations.
func (g *Guard) Admit(ctx context.Context, sess graphql.Session, req *graphql.Request) (context.Context, context.CancelFunc, error) {
	if sess.IsAdmin() {
		return ctx, release, nil
	}
	r := g.current()
	if !g.allowlist && r.limits == nil {
		return ctx, release, nil
	}
	d := g.docs.get(req.Query)
	if !d.parsed {
		return ctx, release, nil // not GraphQL: the engine says why, as Hasura parses first
	}
	if g.allowlist && !r.global[d.normalised] && !r.perRole[sess.Role][d.normalised] {
		return ctx, release, &graphql.Refusal{Code: "validation-failed", Message: "query is not allowed"}
	}
	l := r.limits
	if l == nil {
		return ctx, release, nil
	}
	op := d.find(req.OperationName)
	if op == nil {
		return ctx, release, nil // no such operation: the engine says so
	}
	if dl := l.DepthLimit; dl != nil && op.depth > dl.For(sess.Role) {
		return ctx, release, &graphql.Refusal{Code: "validation-failed", Message: fmt.Sprintf(
			"depth limit exceeded: the operation's depth is %d, the limit is %d", op.depth, dl.For(sess.Role))}
	}
	if nl := l.NodeLimit; nl != nil && op.nodes > nl.For(sess.Role) {
		return ctx, release, &graphql.Refusal{Code: "validation-failed", Message: fmt.Sprintf(
			"node limit exceeded: the operation has %d nodes, the limit is %d", op.nodes, nl.For(sess.Role))}
	}
	if rl := l.RateLimit; rl != nil {
		if err := g.rate(ctx, sess, rl.For(sess.Role)); err != nil {
			return ctx, release, err
		}
	}
	if tl := l.TimeLimit; tl != nil && op.kind != "subscription" {
		secs := tl.For(sess.Role)
		limit := time.Duration(secs * float64(time.Second))
		run, cancel := context.WithTimeoutCause(ctx, limit, &graphql.Refusal{Code: "time-limit-exceeded",
			Message: "time limit exceeded: the operation ran longer than " + strconv.FormatFloat(secs, 'f', -1, 64) + "s"})
		return run, cancel, nil
	}
	return ctx, release, nil
}

// rate counts the request under its role and unique parameters. A limiter
// that fails (Redis down) admits the request: the API stays up, and the
// log says why the limit is not applied.
func (g *Guard) rate(ctx context.Context, sess graphql.Session, c metadata.RateLimitConfig) error {
	var key strings.Builder
	key.WriteString(strconv.Quote(sess.Role))
	switch {
	case c.UniqueParams.IP:
		key.WriteString(" ip ")
		key.WriteString(strconv.Quote(clientIP(ctx)))
	default:
		for _, v := range c.UniqueParams.Sessions {
			key.WriteByte(' ')
			key.WriteString(strconv.Quote(sess.Vars[v]))
		}
	}
	if g.local {
		g.localOnce.Do(func() {
			g.log.Warn("rate limits count per process: set HASURA_GRAPHQL_REDIS_URL to share them between replicas",
				"type", "startup", "kind", "api_limits")
		})
	}
	ok, err := g.limiter.allow(ctx, key.String(), c.MaxReqsPerMin)
	if err != nil {
		now := time.Now().Unix()
		if last := g.lastLimiterError.Load(); now-last >= 60 && g.lastLimiterError.CompareAndSwap(last, now) {
			g.log.Error("rate limit not applied", "type", "http-log", "error", err)
		}
		return nil
	}
	if !ok {
		return &graphql.Refusal{Code: "rate-limit-exceeded", Message: "rate limit exceeded: more than " +
			strconv.Itoa(c.MaxReqsPerMin) + " requests per minute"}
	}
	return nil
}

// CheckBatch refuses a batched body (a JSON array) with more operations
// than the role's batch limit; nil for anything else.
func (g *Guard) CheckBatch(sess graphql.Session, body []byte) error {
	if sess.IsAdmin() {
		return nil
	}
	l := g.current().limits
	if l == nil || l.BatchLimit == nil {
		return nil
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(body, &items) != nil {
		return nil // the engine reports a malformed batch
	}
	if max := l.BatchLimit.For(sess.Role); len(items) > max {
		return &graphql.Refusal{Code: "validation-failed", Message: fmt.Sprintf(
			"batch limit exceeded: the batch has %d operations, the limit is %d", len(items), max)}
	}
	return nil
}

// NeedsClientIP reports whether a rate limit is keyed by IP address, so
// that the HTTP layer records it (WithClientIP) only then.
func (g *Guard) NeedsClientIP() bool {
	l := g.current().limits
	if l == nil || l.RateLimit == nil {
		return false
	}
	if l.RateLimit.Global.UniqueParams.IP {
		return true
	}
	for _, c := range l.RateLimit.PerRole {
		if c.UniqueParams.IP {
			return true
		}
	}
	return false
}

type clientIPKey struct{}

// WithClientIP records the client's address for rate limits keyed by IP.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

var _ graphql.Guard = (*Guard)(nil)
