package metadata

import (
	"context"
	"strconv"
	"time"
)

// notifyChannel carries "a new resource_version is committed" between Graft
// processes sharing one database, so every replica serves the same metadata.
const notifyChannel = "graft_metadata"

// listen reloads the snapshot whenever another process commits metadata.
// It runs until ctx ends, reconnecting with backoff; after each (re)connect
// it reloads once, covering changes made while it was not listening.
func (m *Manager) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := m.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		m.log.Warn("metadata change listener lost its connection; reconnecting", "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (m *Manager) listenOnce(ctx context.Context) error {
	pooled, err := m.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	if err := m.reloadIfNewer(ctx, -1); err != nil {
		m.log.Warn("metadata reload failed", "error", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		v, _ := strconv.ParseInt(n.Payload, 10, 64)
		if err := m.reloadIfNewer(ctx, v); err != nil {
			m.log.Warn("metadata reload failed", "error", err)
		}
	}
}

// reloadIfNewer re-reads metadata unless this process already serves
// version v (v < 0: always).
func (m *Manager) reloadIfNewer(ctx context.Context, v int64) error {
	if s := m.Snapshot(); s != nil && v >= 0 && s.Version >= v {
		return nil
	}
	_, err := m.run(ctx, func(*work) (any, error) { return nil, nil })
	return err
}
