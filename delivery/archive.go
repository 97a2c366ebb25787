package delivery

import (
	"context"
	"fmt"
	"strings"
)

// archivePrefix marks a notification that a trigger was deleted: pools
// forget its events (the others are event ids to redeliver).
const archivePrefix = "archive:"

// Archive ends the delivery of a deleted trigger's pending events, as
// Hasura archives a dropped trigger's event_log rows: they leave the lanes
// (with their retry state) and every pool forgets those it holds in memory.
// An attempt already under way may still complete. Delivered and
// dead-lettered events and invocation logs stay until their retention ends.
// It returns how many pending events were removed; archiving again finds
// none.
func (q *Queue) Archive(ctx context.Context, trigger string) (int, error) {
	v, err := scriptPendingOf.Run(ctx, q.rdb, nil, q.cfg.Prefix, q.cfg.Lanes, trigger, "1").Slice()
	if err != nil {
		return 0, fmt.Errorf("archive events of trigger %s: %w", trigger, err)
	}
	n := len(v) / 2
	if err := q.rdb.Publish(ctx, q.key("notify"), archivePrefix+trigger).Err(); err != nil {
		return n, fmt.Errorf("archive events of trigger %s: tell the worker pools: %w", trigger, err)
	}
	return n, nil
}

// dropTrigger forgets the events of a deleted trigger held in memory:
// waiting ones are not attempted, in-flight ones are cancelled and left
// unrecorded (their lane entries are gone already).
func (p *WorkerPool) dropTrigger(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.byID {
		if e.ev.Trigger == name {
			p.forget(e)
			if l := p.lanes[e.ev.lane]; l != nil {
				l.entries--
			}
			n++
		}
	}
	if n > 0 {
		p.cfg.Logger.Info("event trigger deleted: its pending events are archived", "trigger", name, "in_memory", n)
		signal(p.space)
	}
}

// notice handles a message on the notify channel.
func (p *WorkerPool) notice(payload string) {
	if name, ok := strings.CutPrefix(payload, archivePrefix); ok {
		p.dropTrigger(name)
		return
	}
	p.redeliverPending(payload)
}
