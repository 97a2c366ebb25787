// Package configs loads Graft's configuration from HASURA_GRAPHQL_* environment
// variables and command-line flags (flags win), and builds the logger.
package configs

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/proxy/cors"
	"github.com/spf13/pflag"
)

// Config is everything `graft serve` needs to start.
type Config struct {
	DatabaseURL      string
	AdminSecrets     []string
	Port             int
	Host             string
	PGConnections    int
	DevMode          bool
	EnabledLogTypes  map[string]bool
	LogLevel         slog.Level
	UnauthorizedRole string
	RedisURL         string
	JWT              *authz.JWTVerifier
	AuthHook         *authz.Webhook
	LiveFallback     time.Duration
	LiveBatchSize    int
	LiveDebounce     time.Duration
	WALMode          string
	WALSlot          string
	WALPublication   string
	EventsPoolSize   int
	// AsyncActionRetries and AsyncActionRetryInterval are the retry policy
	// of async action calls run through the Redis queue
	// (GRAFT_ASYNC_ACTION_RETRIES, GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS;
	// see package actions, retry.go).
	AsyncActionRetries       int
	AsyncActionRetryInterval time.Duration
	// GCMinHeapMB is the heap the garbage collector lets grow before it
	// runs (GRAFT_GC_MIN_HEAP_MB; see configs/gcfloor), 0 for GOGC alone.
	GCMinHeapMB int
	// CORS is HASURA_GRAPHQL_CORS_DOMAIN, HASURA_GRAPHQL_DISABLE_CORS and
	// HASURA_GRAPHQL_WS_READ_COOKIE.
	CORS *cors.Policy
	// EnabledAPIs are the API groups served (HASURA_GRAPHQL_ENABLED_APIS).
	EnabledAPIs map[string]bool
	// EnableAllowlist refuses non-admin operations outside the allow list.
	EnableAllowlist bool
	// RemoteSchemaPermissions: a role sees a remote schema only through its
	// permission on it (HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS).
	RemoteSchemaPermissions bool
	// StringifyNumeric writes numeric and double precision values as JSON
	// strings, as Hasura's --stringify-numeric-types does (bigint always is).
	StringifyNumeric bool
	// MetricsSecret is the bearer token /v1/metrics requires
	// (HASURA_GRAPHQL_METRICS_SECRET); "" serves it to anyone.
	MetricsSecret string
	// EnableConsole serves the web console at /console
	// (HASURA_GRAPHQL_ENABLE_CONSOLE; off by default, as Hasura's).
	EnableConsole bool
}

// APIs are the names HASURA_GRAPHQL_ENABLED_APIS accepts, as Hasura's.
// Graft serves graphql, metadata and metrics (not in the default list, as
// Hasura's); the others name Hasura endpoints it does not have, accepted
// so that a Hasura configuration loads.
var APIs = []string{"metadata", "graphql", "pgdump", "developer", "config", "metrics"}

// kind is how a setting's flag is typed: `graft serve --help` shows the type
// and default, and pflag rejects a malformed number or boolean naming the flag.
type kind int

const (
	kindString kind = iota
	kindInt
	kindBool
)

// setting is one option: its env variable, flag name, kind, default and help.
type setting struct {
	env, flag string
	kind      kind
	def, help string
}

var settings = []setting{
	{"HASURA_GRAPHQL_DATABASE_URL", "database-url", kindString, "", "Postgres connection URL"},
	{"HASURA_GRAPHQL_ADMIN_SECRET", "admin-secret", kindString, "", "admin secret required for admin access"},
	{"HASURA_GRAPHQL_ADMIN_SECRETS", "admin-secrets", kindString, "", "JSON list of accepted admin secrets (rotation)"},
	{"HASURA_GRAPHQL_SERVER_PORT", "server-port", kindInt, "8080", "HTTP port"},
	{"HASURA_GRAPHQL_SERVER_HOST", "server-host", kindString, "*", "interface to listen on (* for all)"},
	{"HASURA_GRAPHQL_PG_CONNECTIONS", "pg-connections", kindInt, "50", "maximum Postgres connections"},
	{"HASURA_GRAPHQL_DEV_MODE", "dev-mode", kindBool, "false", "include internal error details in responses"},
	{"HASURA_GRAPHQL_ENABLED_LOG_TYPES", "enabled-log-types", kindString, "startup,http-log,webhook-log,websocket-log", "comma-separated log types"},
	{"HASURA_GRAPHQL_LOG_LEVEL", "log-level", kindString, "info", "debug, info, warn or error"},
	{"HASURA_GRAPHQL_UNAUTHORIZED_ROLE", "unauthorized-role", kindString, "", "role for requests without credentials"},
	{"HASURA_GRAPHQL_REDIS_URL", "redis-url", kindString, "", "Redis URL (event queue, live-query fan-out)"},
	{"HASURA_GRAPHQL_JWT_SECRET", "jwt-secret", kindString, "", "JWT configuration (JSON), as Hasura's"},
	{"HASURA_GRAPHQL_WAL_MODE", "wal-mode", kindString, "auto", "read the WAL: auto (whenever the database allows logical replication; otherwise live queries fall back to refetching), always (fail start-up if it cannot), or off"},
	{"HASURA_GRAPHQL_WAL_SLOT_NAME", "wal-slot-name", kindString, "graft_slot", "logical replication slot (cluster-wide name)"},
	{"HASURA_GRAPHQL_WAL_PUBLICATION_NAME", "wal-publication-name", kindString, "graft_pub", "publication Graft manages"},
	{"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", "events-http-pool-size", kindInt, "100", "concurrent event webhook deliveries per process"},
	{"GRAFT_ASYNC_ACTION_RETRIES", "async-action-retries", kindInt, "3", "retries of an async action call whose handler did not answer, timed out or answered 5xx (with Redis; 0: one attempt, as Hasura)"},
	{"GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS", "async-action-retry-interval-seconds", kindInt, "10", "seconds before an async action call's first retry; each further retry waits twice as long (at most 15 minutes)"},
	{"GRAFT_GC_MIN_HEAP_MB", "gc-min-heap-mb", kindInt, "64", "the garbage collector's heap goal is at least this many MB (0: GOGC alone; a GOGC variable, when set, wins; GOMEMLIMIT still caps the heap)"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL", "live-queries-fallback-refetch-interval", kindInt, "5000", "milliseconds between refetches of every live query (covers what the WAL cannot show)"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", "live-queries-multiplexed-batch-size", kindInt, "100", "live queries refetched by one statement"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE", "live-queries-debounce", kindInt, "5", "milliseconds a burst of changes is gathered before live queries refetch"},
	{"HASURA_GRAPHQL_AUTH_HOOK", "auth-hook", kindString, "", "authentication webhook URL"},
	{"HASURA_GRAPHQL_AUTH_HOOK_MODE", "auth-hook-mode", kindString, "GET", "authentication webhook method: GET or POST"},
	{"HASURA_GRAPHQL_CORS_DOMAIN", "cors-domain", kindString, "*", "origins allowed by CORS: * or a comma-separated list of scheme://host[:port], host may start with *."},
	{"HASURA_GRAPHQL_DISABLE_CORS", "disable-cors", kindBool, "false", "send no CORS headers (and ignore cookies on WebSocket handshakes)"},
	{"HASURA_GRAPHQL_WS_READ_COOKIE", "ws-read-cookie", kindBool, "false", "with CORS disabled, still pass WebSocket handshake cookies to authentication"},
	{"HASURA_GRAPHQL_ENABLED_APIS", "enabled-apis", kindString, "metadata,graphql,pgdump,config", "comma-separated APIs to serve: graphql, metadata, metrics (and Hasura's pgdump, config, developer)"},
	{"HASURA_GRAPHQL_ENABLE_ALLOWLIST", "enable-allowlist", kindBool, "false", "run only the operations of the allow list (admin excepted)"},
	{"HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS", "enable-remote-schema-permissions", kindBool, "false", "roles see only the part of a remote schema their remote schema permission names"},
	{"HASURA_GRAPHQL_METRICS_SECRET", "metrics-secret", kindString, "", "bearer token required by /v1/metrics (served when enabled-apis has metrics)"},
	{"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES", "stringify-numeric-types", kindBool, "false", "return numeric and double precision values as JSON strings"},
	{"HASURA_GRAPHQL_ENABLE_CONSOLE", "enable-console", kindBool, "false", "serve the web console (GraphiQL, tables, events, inconsistent metadata) at /console"},
}

// RegisterFlags adds one typed flag per setting, with its default, so that
// --help shows both.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, s := range settings {
		usage := s.help + " (env " + s.env + ")"
		switch s.kind {
		case kindInt:
			n, err := strconv.Atoi(s.def)
			if err != nil {
				panic("configs: default of " + s.env + " is not an int") // a bug in the table
			}
			fs.Int(s.flag, n, usage)
		case kindBool:
			b, err := strconv.ParseBool(s.def)
			if err != nil {
				panic("configs: default of " + s.env + " is not a bool") // a bug in the table
			}
			fs.Bool(s.flag, b, usage)
		default:
			fs.String(s.flag, s.def, usage)
		}
	}
}

// values are the raw settings by env name, and how an error names each one:
// the flag when the value came from a flag, else the env variable.
type values struct {
	val, name map[string]string
}

// read takes each setting from its flag (when set), then env, then default.
func read(getenv func(string) string, fs *pflag.FlagSet) values {
	v := values{val: map[string]string{}, name: map[string]string{}}
	for _, s := range settings {
		val, name := getenv(s.env), s.env
		if fs != nil {
			if f := fs.Lookup(s.flag); f != nil && f.Changed {
				val, name = f.Value.String(), "--"+s.flag
			}
		}
		if val == "" {
			val = s.def
		}
		v.val[s.env], v.name[s.env] = val, name
	}
	return v
}

// Load reads settings from flags (when set), then env, then defaults. A bad
// value is an error naming where it came from: its flag or its variable.
func Load(getenv func(string) string, fs *pflag.FlagSet) (*Config, error) {
	v := read(getenv, fs)
	val, name := v.val, v.name
	c := &Config{DatabaseURL: val["HASURA_GRAPHQL_DATABASE_URL"], Host: val["HASURA_GRAPHQL_SERVER_HOST"],
		UnauthorizedRole: val["HASURA_GRAPHQL_UNAUTHORIZED_ROLE"], RedisURL: val["HASURA_GRAPHQL_REDIS_URL"],
		MetricsSecret: val["HASURA_GRAPHQL_METRICS_SECRET"], EnabledLogTypes: map[string]bool{}}
	if c.DatabaseURL == "" {
		return nil, fmt.Errorf("HASURA_GRAPHQL_DATABASE_URL (or --database-url) is required")
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s is not a postgres:// URL", name["HASURA_GRAPHQL_DATABASE_URL"])
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			return nil, fmt.Errorf("%s is not a redis:// URL", name["HASURA_GRAPHQL_REDIS_URL"])
		}
	}
	var err error
	if c.Port, err = v.intIn("HASURA_GRAPHQL_SERVER_PORT", 1, 65535); err != nil {
		return nil, err
	}
	if c.PGConnections, err = v.intIn("HASURA_GRAPHQL_PG_CONNECTIONS", 1, 10000); err != nil {
		return nil, err
	}
	ms, err := v.intIn("HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL", 10, 86400000)
	if err != nil {
		return nil, err
	}
	c.LiveFallback = time.Duration(ms) * time.Millisecond
	if c.LiveBatchSize, err = v.intIn("HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", 1, 10000); err != nil {
		return nil, err
	}
	debounce, err := v.intIn("HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE", 0, 60000)
	if err != nil {
		return nil, err
	}
	c.LiveDebounce = time.Duration(debounce) * time.Millisecond
	c.WALMode, c.WALSlot, c.WALPublication = val["HASURA_GRAPHQL_WAL_MODE"], val["HASURA_GRAPHQL_WAL_SLOT_NAME"], val["HASURA_GRAPHQL_WAL_PUBLICATION_NAME"]
	if c.WALMode != "auto" && c.WALMode != "always" && c.WALMode != "off" {
		return nil, fmt.Errorf("%s must be auto, always or off, got %q", name["HASURA_GRAPHQL_WAL_MODE"], c.WALMode)
	}
	if c.EventsPoolSize, err = v.intIn("HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", 1, 10000); err != nil {
		return nil, err
	}
	if c.AsyncActionRetries, err = v.intIn("GRAFT_ASYNC_ACTION_RETRIES", 0, 100); err != nil {
		return nil, err
	}
	interval, err := v.intIn("GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS", 0, 86400)
	if err != nil {
		return nil, err
	}
	c.AsyncActionRetryInterval = time.Duration(interval) * time.Second
	if c.GCMinHeapMB, err = v.intIn("GRAFT_GC_MIN_HEAP_MB", 0, 1<<20); err != nil {
		return nil, err
	}
	if err := v.security(c); err != nil {
		return nil, err
	}
	if c.DevMode, err = strconv.ParseBool(val["HASURA_GRAPHQL_DEV_MODE"]); err != nil {
		return nil, fmt.Errorf("%s must be true or false, got %q", name["HASURA_GRAPHQL_DEV_MODE"], val["HASURA_GRAPHQL_DEV_MODE"])
	}
	if err := c.LogLevel.UnmarshalText([]byte(val["HASURA_GRAPHQL_LOG_LEVEL"])); err != nil {
		return nil, fmt.Errorf("%s must be debug, info, warn or error, got %q", name["HASURA_GRAPHQL_LOG_LEVEL"], val["HASURA_GRAPHQL_LOG_LEVEL"])
	}
	for _, t := range strings.Split(val["HASURA_GRAPHQL_ENABLED_LOG_TYPES"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.EnabledLogTypes[t] = true
		}
	}
	if s := val["HASURA_GRAPHQL_JWT_SECRET"]; s != "" {
		if c.JWT, err = authz.NewJWTVerifier(s); err != nil {
			return nil, fmt.Errorf("%s: %w", name["HASURA_GRAPHQL_JWT_SECRET"], err)
		}
	}
	if hook := val["HASURA_GRAPHQL_AUTH_HOOK"]; hook != "" {
		if c.JWT != nil {
			return nil, fmt.Errorf("%s and %s cannot both be set", name["HASURA_GRAPHQL_AUTH_HOOK"], name["HASURA_GRAPHQL_JWT_SECRET"])
		}
		if u, err := url.Parse(hook); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("%s is not an http(s) URL", name["HASURA_GRAPHQL_AUTH_HOOK"])
		}
		mode := strings.ToUpper(val["HASURA_GRAPHQL_AUTH_HOOK_MODE"])
		if mode != "GET" && mode != "POST" {
			return nil, fmt.Errorf("%s must be GET or POST, got %q", name["HASURA_GRAPHQL_AUTH_HOOK_MODE"], val["HASURA_GRAPHQL_AUTH_HOOK_MODE"])
		}
		c.AuthHook = authz.NewWebhook(hook, mode)
	}
	if s := val["HASURA_GRAPHQL_ADMIN_SECRET"]; s != "" {
		c.AdminSecrets = append(c.AdminSecrets, s)
	}
	if s := val["HASURA_GRAPHQL_ADMIN_SECRETS"]; s != "" {
		list, err := parseList(s)
		if err != nil {
			return nil, fmt.Errorf("%s must be a JSON list of strings: %w", name["HASURA_GRAPHQL_ADMIN_SECRETS"], err)
		}
		c.AdminSecrets = append(c.AdminSecrets, list...)
	}
	return c, nil
}

func (v values) intIn(env string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v.val[env])
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be an integer from %d to %d, got %q", v.name[env], lo, hi, v.val[env])
	}
	return n, nil
}

// ListenAddr is host:port, with Hasura's "*" meaning every interface.
func (c *Config) ListenAddr() string {
	host := c.Host
	if host == "*" {
		host = ""
	}
	return host + ":" + strconv.Itoa(c.Port)
}

func parseList(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	return list, nil
}

func (v values) boolean(env string) (bool, error) {
	b, err := strconv.ParseBool(v.val[env])
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, got %q", v.name[env], v.val[env])
	}
	return b, nil
}

// security reads the CORS, enabled APIs and allow list settings.
func (v values) security(c *Config) error {
	var err error
	if c.CORS, err = cors.Parse(v.val["HASURA_GRAPHQL_CORS_DOMAIN"]); err != nil {
		return fmt.Errorf("%s: %w", v.name["HASURA_GRAPHQL_CORS_DOMAIN"], err)
	}
	if c.CORS.Disabled, err = v.boolean("HASURA_GRAPHQL_DISABLE_CORS"); err != nil {
		return err
	}
	if c.CORS.ReadCookie, err = v.boolean("HASURA_GRAPHQL_WS_READ_COOKIE"); err != nil {
		return err
	}
	if c.EnableAllowlist, err = v.boolean("HASURA_GRAPHQL_ENABLE_ALLOWLIST"); err != nil {
		return err
	}
	if c.RemoteSchemaPermissions, err = v.boolean("HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS"); err != nil {
		return err
	}
	if c.StringifyNumeric, err = v.boolean("HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES"); err != nil {
		return err
	}
	if c.EnableConsole, err = v.boolean("HASURA_GRAPHQL_ENABLE_CONSOLE"); err != nil {
		return err
	}
	c.EnabledAPIs = map[string]bool{}
	for _, api := range strings.Split(v.val["HASURA_GRAPHQL_ENABLED_APIS"], ",") {
		api = strings.ToLower(strings.TrimSpace(api))
		if api == "" {
			continue
		}
		known := false
		for _, a := range APIs {
			known = known || a == api
		}
		if !known {
			return fmt.Errorf("%s: Only expecting list of comma separated API types %s, got %q",
				v.name["HASURA_GRAPHQL_ENABLED_APIS"], strings.Join(APIs, ","), api)
		}
		c.EnabledAPIs[api] = true
	}
	return nil
}
