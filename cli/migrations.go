package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one directory migrations/<database>/<version>_<name>/ with
// up.sql and, optionally, down.sql.
type Migration struct {
	Version int64
	Name    string
	Dir     string
}

// FullName is the directory name, <version>_<name>.
func (m Migration) FullName() string { return filepath.Base(m.Dir) }

// SQL reads up.sql or down.sql; a missing down.sql reads as empty, as a
// migration that cannot be undone but whose version can be rolled back.
func (m Migration) SQL(direction string) (string, error) {
	b, err := os.ReadFile(filepath.Join(m.Dir, direction+".sql"))
	if errors.Is(err, fs.ErrNotExist) && direction == "down" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("migration %s: %w", m.FullName(), err)
	}
	return string(b), nil
}

var migrationDirName = regexp.MustCompile(`^([0-9]+)_(.*)$`)

// LoadMigrations lists dir's migrations in version order. A directory that
// is not <version>_<name>, or lacks up.sql, is an error naming it: applying
// around it would leave a hole in the history.
func LoadMigrations(dir string) ([]Migration, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read migrations directory: %w", err)
	}
	var out []Migration
	seen := map[int64]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		m := migrationDirName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("%s: a migration directory must be named <version>_<name>", path)
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad version: %w", path, err)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("%s: version %d is also used by %s", path, v, other)
		}
		seen[v] = e.Name()
		if _, err := os.Stat(filepath.Join(path, "up.sql")); err != nil {
			if _, yerr := os.Stat(filepath.Join(path, "up.yaml")); yerr == nil {
				return nil, fmt.Errorf("%s: up.yaml (a config v1 metadata migration) is not supported; move the SQL to up.sql", path)
			}
			return nil, fmt.Errorf("%s: migration has no up.sql", path)
		}
		out = append(out, Migration{Version: v, Name: m[2], Dir: path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// CreateMigration writes dir/<unix-ms>_<name>/{up.sql,down.sql} and returns it.
func CreateMigration(dir, name, up, down string, now time.Time) (Migration, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, `/\`) {
		return Migration{}, fmt.Errorf("migration name %q must be non-empty and contain no slash", name)
	}
	existing, err := LoadMigrations(dir)
	if err != nil {
		return Migration{}, err
	}
	// Versions order migrations, so two created within one millisecond
	// (scripts, squash) must still differ.
	v := now.UnixMilli()
	for _, m := range existing {
		if m.Version >= v {
			v = m.Version + 1
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%d_%s", v, name))
	if err := os.MkdirAll(path, 0o755); err != nil {
		return Migration{}, fmt.Errorf("create migration directory: %w", err)
	}
	for file, body := range map[string]string{"up.sql": up, "down.sql": down} {
		if err := os.WriteFile(filepath.Join(path, file), []byte(body), 0o644); err != nil {
			return Migration{}, fmt.Errorf("write %s: %w", file, err)
		}
	}
	return Migration{Version: v, Name: name, Dir: path}, nil
}

// migrationDatabases lists the database directories under the migrations
// directory: the databases `deploy` and auto-apply migrate.
func migrationDatabases(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read migrations directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
