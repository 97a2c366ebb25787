package delivery

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// CheckPersistence tells whether Redis keeps acknowledged events across a
// crash. HandleTransaction returns nil, and so the replication slot moves
// past a transaction, as soon as Redis has acknowledged its events; Redis
// acknowledges a write before it reaches disk unless appendfsync is
// "always". The returned warning (empty when none) explains what a Redis
// crash could lose; err is only for failing to ask.
//
// Redis 7.0 has no WAITAOF (it came in 7.2), so Graft cannot wait for the
// fsync of its own writes: with appendfsync everysec, the last second of
// events may be lost on a Redis or host crash, after the slot has moved on.
// A failover to a replica can lose acknowledged writes in the same way.
func (q *Queue) CheckPersistence(ctx context.Context) (string, error) {
	info, err := q.rdb.Info(ctx, "persistence").Result()
	if err != nil {
		return "", fmt.Errorf("delivery: redis INFO persistence: %w", err)
	}
	fields := parseInfo(info)
	aof, fsync := fields["aof_enabled"] == "1", ""
	// CONFIG is often disabled on managed Redis; INFO alone then.
	if cfg, err := q.rdb.ConfigGet(ctx, "append*").Result(); err == nil {
		if v, ok := cfg["appendonly"]; ok {
			aof = v == "yes"
		}
		fsync = cfg["appendfsync"]
	}
	var warn []string
	switch {
	case !aof:
		warn = append(warn, "Redis runs without the append-only file (appendonly no): queued events that were "+
			"not yet delivered are lost when Redis restarts or crashes (an RDB snapshot keeps at most what existed "+
			"at the last save), and the replication slot has already moved past them. Set appendonly yes and "+
			"appendfsync always.")
	case fsync == "always":
	case fsync == "everysec":
		warn = append(warn, "Redis fsyncs its append-only file once per second (appendfsync everysec): a crash of "+
			"Redis or of its host may lose about the last second of acknowledged events, after the replication "+
			"slot has moved past them, so they are never delivered. Set appendfsync always to lose none (Redis 7.0 "+
			"has no WAITAOF, so Graft cannot wait for the fsync itself).")
	case fsync == "no":
		warn = append(warn, "Redis leaves fsync of its append-only file to the OS (appendfsync no): a crash of the "+
			"host may lose tens of seconds of acknowledged events, after the replication slot has moved past them. "+
			"Set appendfsync always.")
	default:
		warn = append(warn, "Redis's appendfsync setting cannot be read (CONFIG GET is not allowed): unless it is "+
			"always, a Redis crash may lose recently acknowledged events after the replication slot has moved "+
			"past them.")
	}
	if s := fields["aof_last_write_status"]; aof && s != "" && s != "ok" {
		warn = append(warn, "Redis reports failing writes to its append-only file (aof_last_write_status:"+s+").")
	}
	return strings.Join(warn, " "), nil
}

func parseInfo(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m
}
