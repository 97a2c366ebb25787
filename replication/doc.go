// Package replication reads committed changes from a logical replication
// slot (pgoutput) and acknowledges the slot only past transactions the Sink
// has made durable. Committed changes drive event triggers and live
// subscriptions: no triggers on user tables, no polling.
//
// # How it works
//
// A Stream reads a logical slot (plugin pgoutput) and owns a publication (default "graft_pub", created empty; SetTables
// chooses its tables). It streams with protocol version 2 and messages on,
// without in-progress streaming: each transaction arrives whole at commit,
// is decoded into a Transaction (every row rendered exactly as row_to_json
// renders it in a UTC session) and handed to Sink.HandleTransaction in
// commit order. Graft's mutations write a transactional logical message
// (prefix "graft") first in each transaction; its session_variables and
// trace_context are attached to the Transaction.
//
// Delivery is at least once. The position reported to the server (and so
// the slot's confirmed_flush_lsn) advances to a transaction's end only
// after the Sink returned nil for it, and for everything before it. A
// failing Sink gets the same transaction again, with backoff, and never a
// later one first. After a reconnection the server resends from the slot's
// position, and transactions already acknowledged in this process are
// dropped; but a transaction the Sink completed just before a crash (before
// the position reached the server) is delivered again, so Sinks should be
// idempotent per (CommitLSN, change index).
//
// # Slots
//
// The persistent slot (SlotName, default "graft_slot") survives restarts,
// and so retains WAL while Graft is stopped. A Stream with Temporary reads
// through temporary slots instead, created on the replication connection
// (CREATE_REPLICATION_SLOT ... TEMPORARY) and dropped by PostgreSQL when it
// ends: nothing is retained, nothing resumes. Each session creates a new
// one at the current position, and a ResyncSink is told so, to catch up by
// other means (live queries refetch). Transactions from a temporary slot
// carry Temporary. UsePersistent creates the persistent slot and moves to
// it: the next session resumes from that slot's own position, so nothing
// committed after its creation is missed. DropPersistentSlot removes a
// persistent slot left behind, under the same lock UsePersistent creates
// it under, after a caller's check that nothing needs it.
//
// One process consumes a slot at a time: the leader holds a session-level
// advisory lock (pg_try_advisory_lock, key derived from the slot name) on a
// dedicated connection; other processes stand by and retry every
// LeaderPollInterval, taking over when the leader stops or dies (its lock
// goes with its connection). PostgreSQL itself also refuses a second
// walsender on an active slot. The lock is the same with temporary slots,
// so one process reads for all; with Independent every process reads a
// temporary slot of its own, without the lock.
//
// # Rendering
//
// pgoutput sends text output; each value is converted with the rules of
// datum_to_json: numbers bare (NaN and ±Infinity quoted), bool as
// true/false, json/jsonb inline, timestamps in ISO 8601 with 'T' and a
// +hh:mm offset, arrays and composite values recursively, domains as their
// base type, anything else (uuid, interval, bytea, enum, money, geography,
// ranges...) as a JSON string of the text. Types with a cast to json, such
// as PostGIS geometry (which row_to_json renders as GeoJSON, not as its hex
// text), and any value whose text cannot be parsed, are rendered by the
// server with to_json. The replication connection runs with TimeZone=UTC
// and DateStyle=ISO; other output settings (IntervalStyle, bytea_output,
// lc_monetary, extra_float_digits) are the server's defaults or whatever
// ConnString sets, as for Graft's own queries.
//
// Known differences from row_to_json: pgoutput (PostgreSQL 15-17) does not
// send generated columns, so they are missing from rows; an UPDATE that
// leaves a TOASTed (large, out-of-line) value unchanged does not send it,
// so it is missing from New unless the table has REPLICA IDENTITY FULL;
// Old holds only the replica identity (key) columns unless the table has
// REPLICA IDENTITY FULL; a composite type altered while Graft runs is read
// from the catalog again at the table's next Relation message. TRUNCATE is
// not reported. Changes to partitions are reported under the partition's
// name. A transaction is held in memory until it is handed over.
//
// # Operations
//
// PostgreSQL 14 or later with wal_level=logical; the role needs
// REPLICATION (or superuser), and must own the published tables for
// SetTables. Preflight (which Start runs too) checks the server's settings
// and the role up front and returns ErrUnavailable naming what to change.
// Slot names are cluster-wide: Grafts serving different databases of one
// cluster need different SlotNames.
//
// The persistent slot retains WAL until Graft acknowledges it. While Graft is stopped
// (or its Sink keeps failing) WAL accumulates on the database server's
// disk without bound. Set max_slot_wal_keep_size (for example '20GB', sized
// for the longest outage to ride out) so that PostgreSQL invalidates the
// slot instead of filling the disk. Once invalidated (wal_status "lost" in
// pg_replication_slots) the changes since the slot's position are gone:
// Stream.Start and every reconnection fail with ErrSlotInvalidated and
// events stop. To resume, drop the slot
// (SELECT pg_drop_replication_slot('graft_slot')); Graft then creates a
// new one at the current position, and changes made in between are never
// delivered. Stream.Lag (logged at debug level every LagLogInterval)
// reports the byte lag, the WAL retained and wal_status: alert on them.
// A Graft that will not come back must have its slot dropped.
package replication
