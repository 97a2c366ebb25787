package replication

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Config configures a Stream. Zero values take the defaults below.
type Config struct {
	// ConnString is a normal PostgreSQL URL or keyword/value string (the
	// same as the GraphQL pool's). The replication connection is derived
	// from it. The role needs REPLICATION (or superuser), and to own the
	// published tables for SetTables.
	ConnString string
	// SlotName is the persistent logical slot; default "graft_slot". Slot
	// names are cluster-wide: Grafts serving different databases of one
	// cluster need different names. Temporary slots are named after it
	// (SlotName_tmp_<random>), and the leader lock is derived from it.
	SlotName string
	// Temporary starts reading through temporary slots, which PostgreSQL
	// drops when their connection ends: nothing is retained while the
	// process is stopped, and nothing resumes (see ResyncSink).
	// UsePersistent moves to SlotName.
	Temporary bool
	// Independent (with Temporary) has every process read a temporary slot
	// of its own instead of one leader reading for all: for consumers that
	// cannot share what the leader reads. It costs a slot and a WAL sender
	// per process.
	Independent bool
	// PublicationName is the publication streamed; default "graft_pub".
	PublicationName string
	// Sink receives committed transactions. Required.
	Sink Sink
	// Logger; default slog.Default(). Records carry no "type" attribute:
	// wrap the logger (Logger.With) to give them one.
	Logger *slog.Logger
	// ApplicationName of Graft's connections; the walsender shows it in
	// pg_stat_replication. Default "graft_replication".
	ApplicationName string

	// StandbyInterval is how often a status update is sent when nothing
	// else prompts one; it must stay well below the server's
	// wal_sender_timeout (default 60s). Default 10s.
	StandbyInterval time.Duration
	// StatusDelay is how long a newly acknowledged position may wait
	// before it is reported, so that one status update covers all the
	// transactions acknowledged meanwhile instead of one update (and one
	// walsender wake-up) per transaction. It bounds how far the slot's
	// confirmed_flush_lsn trails the Sink, so keep it short. Default 50ms;
	// negative reports every acknowledgement at once.
	StatusDelay time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// reconnections and between retries of a failing Sink. Defaults 250ms
	// and 30s.
	MinBackoff, MaxBackoff time.Duration
	// LeaderPollInterval is how often a standby process tries to take the
	// slot's lock, and how often the leader checks its lock connection.
	// Default 5s.
	LeaderPollInterval time.Duration
	// LagLogInterval is how often the leader logs Lag at debug level.
	// Default 1 minute; negative disables.
	LagLogInterval time.Duration
	// QueueSize bounds how many decoded transactions wait for the Sink.
	// Default 64.
	QueueSize int
}

var slotNameRE = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

func (c *Config) setDefaults() {
	if c.SlotName == "" {
		c.SlotName = "graft_slot"
	}
	if c.PublicationName == "" {
		c.PublicationName = "graft_pub"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ApplicationName == "" {
		c.ApplicationName = "graft_replication"
	}
	if c.StandbyInterval <= 0 {
		c.StandbyInterval = 10 * time.Second
	}
	if c.StatusDelay == 0 {
		c.StatusDelay = 50 * time.Millisecond
	}
	if c.StatusDelay < 0 {
		c.StatusDelay = 0
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.LeaderPollInterval <= 0 {
		c.LeaderPollInterval = 5 * time.Second
	}
	if c.LagLogInterval == 0 {
		c.LagLogInterval = time.Minute
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 64
	}
}

func (c *Config) validate() error {
	if c.ConnString == "" {
		return errors.New("replication: ConnString is required")
	}
	if c.Sink == nil {
		return errors.New("replication: Sink is required")
	}
	if c.Independent && !c.Temporary {
		return errors.New("replication: Independent needs Temporary: one process at a time reads the persistent slot")
	}
	if !slotNameRE.MatchString(c.SlotName) {
		return fmt.Errorf("replication: slot name %q: use 1-63 lower-case letters, digits and underscores", c.SlotName)
	}
	if c.PublicationName == "" || strings.ContainsRune(c.PublicationName, 0) {
		return fmt.Errorf("replication: invalid publication name %q", c.PublicationName)
	}
	return nil
}

// sessionParams are forced on every connection. The walsender runs the
// types' output functions, so its settings decide the text pgoutput sends:
// TimeZone=UTC renders timestamptz as Graft's queries do (the GraphQL pool
// runs in UTC too), and DateStyle=ISO is the form render.go converts.
var sessionParams = map[string]string{"timezone": "UTC", "datestyle": "ISO"}

// connConfigs derives the replication connection and the normal one (for
// catalog queries, the leader lock and server-side rendering).
func connConfigs(c *Config) (repl *pgconn.Config, normal *pgx.ConnConfig, err error) {
	normal, err = pgx.ParseConfig(c.ConnString)
	if err != nil {
		return nil, nil, fmt.Errorf("replication: parse ConnString: %w", err)
	}
	setParam(normal.RuntimeParams, "replication", "")
	for k, v := range sessionParams {
		setParam(normal.RuntimeParams, k, v)
	}
	setParam(normal.RuntimeParams, "application_name", c.ApplicationName)
	repl = normal.Config.Copy()
	setParam(repl.RuntimeParams, "replication", "database")
	return repl, normal, nil
}

// setParam sets a run-time parameter, replacing any spelling of the same
// name (GUC names are case-insensitive); an empty value removes it.
func setParam(params map[string]string, name, value string) {
	for k := range params {
		if strings.EqualFold(k, name) {
			delete(params, k)
		}
	}
	if value != "" {
		params[name] = value
	}
}

// lockKey derives the advisory lock key guarding the slot (advisory locks
// are per database, slots per cluster; the key only needs to be stable).
func lockKey(slot string) int64 {
	h := fnv.New64a()
	h.Write([]byte("graft.replication.slot:" + slot))
	return int64(h.Sum64())
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// backoff is an exponential delay between MinBackoff and MaxBackoff.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(min, max time.Duration) *backoff { return &backoff{min: min, max: max} }

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
