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
}

// setting is one option: its env variable, flag name, default and help.
type setting struct {
	env, flag, def, help string
}

var settings = []setting{
	{"HASURA_GRAPHQL_DATABASE_URL", "database-url", "", "Postgres connection URL"},
	{"HASURA_GRAPHQL_ADMIN_SECRET", "admin-secret", "", "admin secret required for admin access"},
	{"HASURA_GRAPHQL_ADMIN_SECRETS", "admin-secrets", "", "JSON list of accepted admin secrets (rotation)"},
	{"HASURA_GRAPHQL_SERVER_PORT", "server-port", "8080", "HTTP port"},
	{"HASURA_GRAPHQL_SERVER_HOST", "server-host", "*", "interface to listen on (* for all)"},
	{"HASURA_GRAPHQL_PG_CONNECTIONS", "pg-connections", "50", "maximum Postgres connections"},
	{"HASURA_GRAPHQL_DEV_MODE", "dev-mode", "false", "include internal error details in responses"},
	{"HASURA_GRAPHQL_ENABLED_LOG_TYPES", "enabled-log-types", "startup,http-log,webhook-log,websocket-log", "comma-separated log types"},
	{"HASURA_GRAPHQL_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"HASURA_GRAPHQL_UNAUTHORIZED_ROLE", "unauthorized-role", "", "role for requests without credentials"},
	{"HASURA_GRAPHQL_REDIS_URL", "redis-url", "", "Redis URL (event queue, live-query fan-out)"},
	{"HASURA_GRAPHQL_JWT_SECRET", "jwt-secret", "", "JWT configuration (JSON), as Hasura's"},
	{"HASURA_GRAPHQL_WAL_MODE", "wal-mode", "auto", "read the WAL: auto (when event triggers exist and Redis is set), always, or off"},
	{"HASURA_GRAPHQL_WAL_SLOT_NAME", "wal-slot-name", "graft_slot", "logical replication slot (cluster-wide name)"},
	{"HASURA_GRAPHQL_WAL_PUBLICATION_NAME", "wal-publication-name", "graft_pub", "publication Graft manages"},
	{"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", "events-http-pool-size", "100", "concurrent event webhook deliveries per process"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL", "live-queries-fallback-refetch-interval", "5000", "milliseconds between refetches of every live query (covers what the WAL cannot show)"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", "live-queries-multiplexed-batch-size", "100", "live queries refetched by one statement"},
	{"HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE", "live-queries-debounce", "5", "milliseconds a burst of changes is gathered before live queries refetch"},
	{"HASURA_GRAPHQL_AUTH_HOOK", "auth-hook", "", "authentication webhook URL"},
	{"HASURA_GRAPHQL_AUTH_HOOK_MODE", "auth-hook-mode", "GET", "authentication webhook method: GET or POST"},
}

// RegisterFlags adds one flag per setting.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, s := range settings {
		fs.String(s.flag, "", s.help+" (env "+s.env+")")
	}
}

// Load reads settings from flags (when set), then env, then defaults. A bad
// value is an error naming its variable.
func Load(getenv func(string) string, fs *pflag.FlagSet) (*Config, error) {
	val := map[string]string{}
	for _, s := range settings {
		v := getenv(s.env)
		if fs != nil {
			if f := fs.Lookup(s.flag); f != nil && f.Changed {
				v = f.Value.String()
			}
		}
		if v == "" {
			v = s.def
		}
		val[s.env] = v
	}
	c := &Config{DatabaseURL: val["HASURA_GRAPHQL_DATABASE_URL"], Host: val["HASURA_GRAPHQL_SERVER_HOST"],
		UnauthorizedRole: val["HASURA_GRAPHQL_UNAUTHORIZED_ROLE"], RedisURL: val["HASURA_GRAPHQL_REDIS_URL"],
		EnabledLogTypes: map[string]bool{}}
	if c.DatabaseURL == "" {
		return nil, fmt.Errorf("HASURA_GRAPHQL_DATABASE_URL is required")
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("HASURA_GRAPHQL_DATABASE_URL is not a postgres:// URL")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			return nil, fmt.Errorf("HASURA_GRAPHQL_REDIS_URL is not a redis:// URL")
		}
	}
	var err error
	if c.Port, err = intIn(val, "HASURA_GRAPHQL_SERVER_PORT", 1, 65535); err != nil {
		return nil, err
	}
	if c.PGConnections, err = intIn(val, "HASURA_GRAPHQL_PG_CONNECTIONS", 1, 10000); err != nil {
		return nil, err
	}
	ms, err := intIn(val, "HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL", 10, 86400000)
	if err != nil {
		return nil, err
	}
	c.LiveFallback = time.Duration(ms) * time.Millisecond
	if c.LiveBatchSize, err = intIn(val, "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", 1, 10000); err != nil {
		return nil, err
	}
	debounce, err := intIn(val, "HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE", 0, 60000)
	if err != nil {
		return nil, err
	}
	c.LiveDebounce = time.Duration(debounce) * time.Millisecond
	c.WALMode, c.WALSlot, c.WALPublication = val["HASURA_GRAPHQL_WAL_MODE"], val["HASURA_GRAPHQL_WAL_SLOT_NAME"], val["HASURA_GRAPHQL_WAL_PUBLICATION_NAME"]
	if c.WALMode != "auto" && c.WALMode != "always" && c.WALMode != "off" {
		return nil, fmt.Errorf("HASURA_GRAPHQL_WAL_MODE must be auto, always or off, got %q", c.WALMode)
	}
	if c.EventsPoolSize, err = intIn(val, "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", 1, 10000); err != nil {
		return nil, err
	}
	if c.DevMode, err = strconv.ParseBool(val["HASURA_GRAPHQL_DEV_MODE"]); err != nil {
		return nil, fmt.Errorf("HASURA_GRAPHQL_DEV_MODE must be true or false, got %q", val["HASURA_GRAPHQL_DEV_MODE"])
	}
	if err := c.LogLevel.UnmarshalText([]byte(val["HASURA_GRAPHQL_LOG_LEVEL"])); err != nil {
		return nil, fmt.Errorf("HASURA_GRAPHQL_LOG_LEVEL must be debug, info, warn or error, got %q", val["HASURA_GRAPHQL_LOG_LEVEL"])
	}
	for _, t := range strings.Split(val["HASURA_GRAPHQL_ENABLED_LOG_TYPES"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.EnabledLogTypes[t] = true
		}
	}
	if s := val["HASURA_GRAPHQL_JWT_SECRET"]; s != "" {
		if c.JWT, err = authz.NewJWTVerifier(s); err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET: %v", err)
		}
	}
	if hook := val["HASURA_GRAPHQL_AUTH_HOOK"]; hook != "" {
		if c.JWT != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK and HASURA_GRAPHQL_JWT_SECRET cannot both be set")
		}
		if u, err := url.Parse(hook); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK is not an http(s) URL")
		}
		mode := strings.ToUpper(val["HASURA_GRAPHQL_AUTH_HOOK_MODE"])
		if mode != "GET" && mode != "POST" {
			return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK_MODE must be GET or POST, got %q", val["HASURA_GRAPHQL_AUTH_HOOK_MODE"])
		}
		c.AuthHook = authz.NewWebhook(hook, mode)
	}
	if s := val["HASURA_GRAPHQL_ADMIN_SECRET"]; s != "" {
		c.AdminSecrets = append(c.AdminSecrets, s)
	}
	if s := val["HASURA_GRAPHQL_ADMIN_SECRETS"]; s != "" {
		list, err := parseList(s)
		if err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_ADMIN_SECRETS must be a JSON list of strings: %v", err)
		}
		c.AdminSecrets = append(c.AdminSecrets, list...)
	}
	return c, nil
}

func intIn(val map[string]string, name string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(val[name])
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be an integer from %d to %d, got %q", name, lo, hi, val[name])
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
