package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Where the CPU goes, from /proc (Linux, with the services on this host):
// this process (Graft, the receiver and the inserting clients), Redis, the
// PostgreSQL processes connected to the benchmark's database (its backends
// and the walsender) and everything else on the machine: PostgreSQL's
// shared background processes (WAL writer, checkpointer), the kernel's
// share not charged to a process, and other work on a shared machine,
// which is the noise to keep in mind. Without /proc (or with remote
// services) the figures are left out.

// clockTick is USER_HZ: /proc times are in 1/100 s on every Linux port Go
// supports.
const clockTick = 100.0

// cpuMeter knows the processes to account.
type cpuMeter struct {
	pool      *pgxpool.Pool
	redis     int
	rdb       *redis.Client // INFO persistence: the forks of AOF rewrites and RDB saves
	walsender func() int    // the run's walsender, when streaming
}

// cpuSample is cumulative CPU seconds at one instant.
type cpuSample struct {
	ok                             bool
	at                             time.Time
	self, redis, postgres, walsndr float64
	busy, total                    float64 // the whole machine
	forks                          int     // Redis AOF rewrites + RDB saves so far
}

// cpuUse is the CPU spent between two samples.
type cpuUse struct {
	ok                                    bool
	wall                                  time.Duration
	self, redis, postgres, walsndr, other float64
	busy                                  float64 // fraction of all cores
	forks                                 int     // Redis AOF rewrites and RDB saves meanwhile
}

func newCPUMeter(ctx context.Context, pool *pgxpool.Pool, redisURL string) *cpuMeter {
	m := &cpuMeter{pool: pool, walsender: func() int { return 0 }}
	if runtime.GOOS != "linux" {
		return m
	}
	if opt, err := redis.ParseURL(redisURL); err == nil {
		m.rdb = redis.NewClient(opt)
		if info, err := m.rdb.Info(ctx, "server").Result(); err == nil {
			m.redis = infoInt(info, "process_id")
		}
	}
	return m
}

// watchSlot makes the meter report the walsender streaming slot.
func (m *cpuMeter) watchSlot(pool *pgxpool.Pool, slot string) {
	m.walsender = func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var pid *int
		if pool.QueryRow(ctx, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&pid) != nil || pid == nil {
			return 0
		}
		return *pid
	}
}

func infoInt(info, key string) int {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

func (m *cpuMeter) sample() cpuSample {
	s := cpuSample{at: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var backends []int32
	if m.redis == 0 || m.pool.QueryRow(ctx, "SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database()").Scan(&backends) != nil {
		return s
	}
	stats := allStats()
	s.self, s.redis = treeCPU(stats, os.Getpid()), treeCPU(stats, m.redis)
	for _, pid := range backends {
		s.postgres += stats[int(pid)].own
	}
	if w := m.walsender(); w != 0 {
		s.walsndr = stats[w].own
	}
	s.busy, s.total, s.ok = machineCPU()
	if info, err := m.rdb.Info(ctx, "persistence").Result(); err == nil {
		s.forks = infoInt(info, "aof_rewrites") + infoInt(info, "rdb_saves")
	}
	return s
}

// since is the CPU used from s0 to now.
func (m *cpuMeter) since(s0 cpuSample) cpuUse {
	s1 := m.sample()
	if !s0.ok || !s1.ok || s1.total <= s0.total {
		return cpuUse{}
	}
	u := cpuUse{ok: true, wall: s1.at.Sub(s0.at), self: s1.self - s0.self, redis: s1.redis - s0.redis,
		postgres: s1.postgres - s0.postgres, walsndr: max(0, s1.walsndr-s0.walsndr), forks: s1.forks - s0.forks}
	busy := s1.busy - s0.busy
	u.other = max(0, busy-u.self-u.redis-u.postgres)
	u.busy = busy / (s1.total - s0.total)
	return u
}

// add sums two uses (of disjoint periods).
func (u cpuUse) add(v cpuUse) cpuUse {
	if !u.ok || !v.ok {
		return cpuUse{}
	}
	w := u.wall + v.wall
	busy := (u.busy*u.wall.Seconds() + v.busy*v.wall.Seconds()) / w.Seconds()
	return cpuUse{ok: true, wall: w, self: u.self + v.self, redis: u.redis + v.redis, postgres: u.postgres + v.postgres,
		walsndr: u.walsndr + v.walsndr, other: u.other + v.other, busy: busy, forks: u.forks + v.forks}
}

// perEvent renders the use per event (or per insert) in microseconds.
func (u cpuUse) perEvent(n int, what string) string {
	if !u.ok || n == 0 {
		return ""
	}
	us := func(sec float64) string { return fmt.Sprintf("%.0fµs", sec*1e6/float64(n)) }
	out := fmt.Sprintf("CPU per %s: bench process %s, redis %s, postgres %s (walsender %s), everything else %s; machine %.0f%% busy",
		what, us(u.self), us(u.redis), us(u.postgres), us(u.walsndr), us(u.other), 100*u.busy)
	if u.forks > 0 {
		// Each forks Redis and writes a file: a stall of tens to hundreds of
		// ms on a small machine (README: auto-aof-rewrite-min-size).
		out += fmt.Sprintf("; Redis rewrote its AOF or saved a snapshot %d time(s) meanwhile", u.forks)
	}
	return out
}

// procStat is one process's CPU seconds: its own and its reaped children's.
type procStat struct {
	ppid          int
	own, children float64
}

// allStats reads /proc/<pid>/stat for every process.
func allStats() map[int]procStat {
	out := map[int]procStat{}
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
		if len(f) < 15 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		num := func(k int) float64 { v, _ := strconv.ParseFloat(f[k-3], 64); return v / clockTick }
		ppid, _ := strconv.Atoi(f[1])
		out[pid] = procStat{ppid: ppid, own: num(14) + num(15), children: num(16) + num(17)}
	}
	return out
}

// treeCPU is a process's CPU with its children's, live or reaped.
func treeCPU(stats map[int]procStat, pid int) float64 {
	st := stats[pid]
	sum := st.own + st.children
	for _, c := range stats {
		if c.ppid == pid {
			sum += c.own + c.children
		}
	}
	return sum
}

// machineCPU reads the busy and total CPU seconds of all cores from /proc/stat.
func machineCPU() (busy, total float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i >= 8 { // guest time is already counted in user
			break
		}
		total += n / clockTick
		if i != 3 && i != 4 { // idle, iowait
			busy += n / clockTick
		}
	}
	return busy, total, true
}

// redisSettings names the Redis persistence settings the figures depend on.
func (m *cpuMeter) redisSettings(ctx context.Context) string {
	if m.rdb == nil {
		return "unknown"
	}
	var parts []string
	for _, k := range []string{"appendonly", "appendfsync", "auto-aof-rewrite-min-size", "save"} {
		v, err := m.rdb.ConfigGet(ctx, k).Result()
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		parts = append(parts, fmt.Sprintf("%s %q", k, v[k]))
	}
	return strings.Join(parts, ", ")
}
