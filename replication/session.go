package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WALMessagePrefix is the prefix of the transactional logical message
// Graft's mutations emit first in each transaction (graphql.WALMessagePrefix).
const WALMessagePrefix = "graft"

// pendingTx is a decoded transaction waiting for the Sink.
type pendingTx struct {
	tx  *Transaction
	end uint64 // the transaction's end LSN: the slot may advance to it once acknowledged
}

// session is one replication connection's life. The receive loop (run)
// owns the connection and the decoder; the delivery goroutine (deliver)
// calls the Sink, so a slow or failing Sink never stops status updates.
type session struct {
	s       *Stream
	conn    *pgconn.PgConn
	dec     *decoder
	queue   chan *pendingTx
	waker   waker
	sinkCtx context.Context // ends on Stop, a switch of slot or when leadership is lost, not on a dropped connection

	temporary bool // reading a temporary slot

	tx         *Transaction // being received, between Begin and Commit
	skip       bool         // tx was acknowledged before: do not decode it again
	enqueued   uint64       // transactions passed to deliver
	acked      atomic.Uint64
	serverPos  uint64 // the server has sent everything committed before this
	sentPos    uint64 // the position in the last status update
	sentAt     time.Time
	nextStatus time.Time
	// unreported is set by deliver when it acknowledges a transaction and
	// cleared when a status update is about to be sent: only its first
	// acknowledgement after an update wakes the receive loop, which then
	// reports them all StatusDelay after the previous update.
	unreported atomic.Bool
}

// session streams from the slot until ctx ends (returning nil) or the
// connection fails. progressed reports whether it got anywhere, which
// resets the reconnection backoff.
func (s *Stream) session(ctx context.Context, pool *pgxpool.Pool) (progressed bool, err error) {
	persistent := s.persistent.Load()
	var tmp *tempSlot
	if !persistent {
		tmp = s.takeFirst()
	} else {
		// UsePersistent came before a session took the temporary slot
		// Start made: nothing will read it, so it goes now, not at Stop.
		s.discardFirst()
		if !s.onPersistent {
			// The position so far was temporary slots': the persistent
			// slot resumes from its own (ensureCatalog), not past what
			// they read.
			s.confirmed.Store(0)
			s.onPersistent = true
		}
	}
	if err := s.ensureCatalog(ctx, pool, persistent); err != nil {
		if tmp != nil {
			tmp.close()
		}
		return false, err
	}
	slot := s.cfg.SlotName
	var conn *pgconn.PgConn
	if persistent {
		if conn, err = pgconn.ConnectConfig(ctx, s.replCfg); err != nil {
			return false, fmt.Errorf("connect for replication: %w", err)
		}
	} else {
		if tmp == nil {
			if tmp, err = s.openTemporary(ctx); err != nil {
				return false, err
			}
		}
		conn, slot = tmp.conn, tmp.name
		s.advance(tmp.lsn)
		s.tempName.Store(&slot)
		defer s.tempName.Store(nil)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	start := s.confirmed.Load()
	pub := quoteLiteral(`"` + escapeQuotes(s.cfg.PublicationName) + `"`)
	err = pglogrepl.StartReplication(ctx, conn, slot, pglogrepl.LSN(start), pglogrepl.StartReplicationOptions{
		Mode: pglogrepl.LogicalReplication,
		// No "streaming": whole transactions arrive at commit.
		PluginArgs: []string{"proto_version '2'", "publication_names " + pub, "messages 'true'"},
	})
	if err != nil {
		return false, fmt.Errorf("start replication on slot %s: %w", slot, err)
	}
	s.log.Info("replication: streaming", "from_lsn", lsnString(start), "slot_kind", kindName(persistent), "slot_name", slot)
	if r, ok := s.cfg.Sink.(ResyncSink); ok && !persistent {
		r.Resync(ctx)
	}
	ss := &session{
		s: s, conn: conn, queue: make(chan *pendingTx, s.cfg.QueueSize), sinkCtx: ctx, temporary: !persistent,
		dec:   newDecoder(newTypeCache(pool), serverRender(pool)),
		waker: waker{ch: make(chan struct{}, 1)},
	}
	began := time.Now()
	err = ss.run(ctx)
	return ss.acked.Load() > 0 || time.Since(began) > s.cfg.MaxBackoff, err
}

func (ss *session) run(ctx context.Context) (err error) {
	wctx, stopDelivery := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { ss.deliver(wctx) })
	defer func() {
		stopDelivery()
		wg.Wait()
		// Report the final position, so whoever streams next resumes
		// right after the last acknowledged transaction.
		if !ss.conn.IsClosed() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ss.sendStatus(sctx, ss.confirmPos(), time.Now())
			cancel()
		}
	}()
	// Reads wait on the socket's read deadline, not on a context: a context
	// costs pgconn a watcher goroutine per message (three per transaction).
	// The deadline is the next status update; an acknowledgement (waker)
	// or stopping (ctx) moves it to now.
	netConn := ss.conn.Conn()
	interrupt := func() { netConn.SetReadDeadline(time.Unix(1, 0)) }
	stopWatch := context.AfterFunc(ctx, interrupt)
	defer stopWatch()
	defer netConn.SetReadDeadline(time.Time{})
	for {
		if err := ss.statusIfDue(ctx, false); err != nil {
			return err
		}
		netConn.SetReadDeadline(ss.statusDeadline())
		if ctx.Err() != nil { // after the deadline was set: AfterFunc has run or will
			return nil
		}
		if !ss.waker.arm(interrupt) {
			continue // an acknowledgement arrived: report it first
		}
		msg, err := ss.conn.ReceiveMessage(context.Background())
		ss.waker.disarm()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !ss.conn.IsClosed() && pgconn.Timeout(err) {
				continue // status due, or woken by an acknowledgement
			}
			return fmt.Errorf("receive: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := ss.copyData(ctx, m.Data); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication stream: %w", pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return errors.New("the server ended the replication stream")
		}
	}
}

func (ss *session) copyData(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		k, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return fmt.Errorf("keepalive: %w", err)
		}
		ss.serverPos = max(ss.serverPos, uint64(k.ServerWALEnd))
		if k.ReplyRequested {
			return ss.statusIfDue(ctx, true)
		}
	case pglogrepl.XLogDataByteID:
		x, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return fmt.Errorf("XLogData: %w", err)
		}
		return ss.walMessage(ctx, x.WALData)
	}
	return nil
}

// walMessage handles one pgoutput message.
func (ss *session) walMessage(ctx context.Context, data []byte) error {
	msg, err := parseWAL(data)
	if err != nil {
		return err
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessageV2:
		ss.dec.addRelation(&m.RelationMessage)
	case *pglogrepl.BeginMessage:
		if ss.tx != nil {
			return errors.New("pgoutput: Begin inside a transaction")
		}
		ss.tx = &Transaction{XID: m.Xid, CommitTime: m.CommitTime, Temporary: ss.temporary}
		// FinalLSN is the commit's LSN: a transaction committed before the
		// confirmed position was acknowledged already (the server resends
		// from the slot's position after a reconnection).
		ss.skip = uint64(m.FinalLSN) < ss.s.confirmed.Load()
	case *pglogrepl.LogicalDecodingMessageV2:
		if ss.tx != nil && !ss.skip && m.Transactional && m.Prefix == WALMessagePrefix {
			ss.sessionMessage(m.Content)
		}
	case *pglogrepl.InsertMessageV2:
		return ss.change(func() (Change, error) { return ss.dec.insert(ctx, &m.InsertMessage) })
	case *pglogrepl.UpdateMessageV2:
		return ss.change(func() (Change, error) { return ss.dec.update(ctx, &m.UpdateMessage) })
	case *pglogrepl.DeleteMessageV2:
		return ss.change(func() (Change, error) { return ss.dec.delete(ctx, &m.DeleteMessage) })
	case *pglogrepl.TruncateMessageV2:
		// Event triggers and subscriptions have no TRUNCATE operation.
		ss.s.log.Debug("replication: ignoring TRUNCATE", "relations", m.RelationNum)
	case *pglogrepl.CommitMessage:
		tx := ss.tx
		if tx == nil {
			return errors.New("pgoutput: Commit outside a transaction")
		}
		ss.tx = nil
		tx.CommitLSN, tx.CommitTime = uint64(m.CommitLSN), m.CommitTime
		// A transaction without published row changes (only a Graft
		// message, or before PostgreSQL 15, which sends empty
		// transactions) is of no interest to the Sink; the position moves
		// past it with the next status update.
		if !ss.skip && len(tx.Changes) > 0 && tx.CommitLSN >= ss.s.confirmed.Load() {
			if err := ss.enqueue(ctx, &pendingTx{tx: tx, end: uint64(m.TransactionEndLSN)}); err != nil {
				return err
			}
		}
		ss.serverPos = max(ss.serverPos, uint64(m.TransactionEndLSN))
	case *pglogrepl.StreamStartMessageV2, *pglogrepl.StreamStopMessageV2,
		*pglogrepl.StreamCommitMessageV2, *pglogrepl.StreamAbortMessageV2:
		return fmt.Errorf("pgoutput: unexpected %s message (streaming was not requested)", msg.Type())
	}
	return nil
}

func (ss *session) change(decode func() (Change, error)) error {
	if ss.tx == nil {
		return errors.New("pgoutput: row change outside a transaction")
	}
	if ss.skip {
		return nil
	}
	ch, err := decode()
	if err != nil {
		return fmt.Errorf("decode change of transaction %d: %w", ss.tx.XID, err)
	}
	ss.tx.Changes = append(ss.tx.Changes, ch)
	return nil
}

// sessionMessage attaches the first Graft message's session variables and
// trace context to the transaction.
func (ss *session) sessionMessage(content []byte) {
	if ss.tx.SessionVariables != nil || ss.tx.TraceContext != nil {
		return
	}
	var msg struct {
		SessionVariables json.RawMessage `json:"session_variables"`
		TraceContext     json.RawMessage `json:"trace_context"`
	}
	if err := json.Unmarshal(content, &msg); err != nil {
		ss.s.log.Warn("replication: ignoring a malformed graft WAL message", "xid", ss.tx.XID, "error", err)
		return
	}
	ss.tx.SessionVariables = nonNull(msg.SessionVariables)
	ss.tx.TraceContext = nonNull(msg.TraceContext)
}

func nonNull(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}

// enqueue passes a transaction to deliver. While the queue is full (the
// Sink is behind) status updates keep going out, or the server's
// wal_sender_timeout would end the connection.
func (ss *session) enqueue(ctx context.Context, p *pendingTx) error {
	ss.enqueued++ // pending from now on: the slot must not advance past it
	for {
		select {
		case ss.queue <- p:
			return nil
		default:
		}
		if err := ss.statusIfDue(ctx, false); err != nil {
			return err
		}
		t := time.NewTimer(time.Until(ss.statusDeadline()))
		select {
		case ss.queue <- p:
			t.Stop()
			return nil
		case <-ss.waker.ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// confirmPos is the position to report as flushed. With nothing in flight
// (no transaction being received, all passed ones acknowledged) it is the
// server's latest position, as PostgreSQL's own apply worker reports: this
// lets the slot advance past WAL that has nothing for us, so an idle Graft
// does not retain WAL.
func (ss *session) confirmPos() uint64 {
	if ss.tx == nil && ss.acked.Load() == ss.enqueued {
		ss.s.advance(ss.serverPos)
	}
	return ss.s.confirmed.Load()
}

// statusIfDue sends a status update when forced, when StandbyInterval has
// passed, or when the position advanced and StatusDelay has passed since
// the last update.
func (ss *session) statusIfDue(ctx context.Context, force bool) error {
	now := time.Now()
	if !force && now.Before(ss.nextStatus) && now.Before(ss.sentAt.Add(ss.s.cfg.StatusDelay)) {
		return nil // statusDeadline brings the receive loop back in time
	}
	ss.unreported.Store(false) // before reading the position: a later ack sets it again
	pos := ss.confirmPos()
	if !force && pos <= ss.sentPos && now.Before(ss.nextStatus) {
		return nil
	}
	return ss.sendStatus(ctx, pos, now)
}

// statusDeadline is when the next status update is due: StandbyInterval
// after the last one, or StatusDelay after it when acknowledgements are
// waiting to be reported.
func (ss *session) statusDeadline() time.Time {
	if ss.unreported.Load() {
		if d := ss.sentAt.Add(ss.s.cfg.StatusDelay); d.Before(ss.nextStatus) {
			return d
		}
	}
	return ss.nextStatus
}

func (ss *session) sendStatus(ctx context.Context, pos uint64, now time.Time) error {
	lsn := pglogrepl.LSN(pos)
	err := pglogrepl.SendStandbyStatusUpdate(ctx, ss.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: lsn, WALFlushPosition: lsn, WALApplyPosition: lsn, ClientTime: now,
	})
	if err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	ss.sentPos, ss.sentAt, ss.nextStatus = pos, now, now.Add(ss.s.cfg.StandbyInterval)
	return nil
}

func lsnString(lsn uint64) string { return pglogrepl.LSN(lsn).String() }
