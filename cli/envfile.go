package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/joho/godotenv"
)

// defaultEnvfile is Hasura CLI's --envfile default, read from the project
// directory when present.
const defaultEnvfile = ".env"

// withEnvfile returns getenv backed by the KEY=VALUE lines of envfile
// (relative to the project directory unless absolute): as Hasura's CLI
// loads it, a variable already set in the environment wins over the file.
// A missing default .env is no error; a missing file named by --envfile is.
func withEnvfile(getenv func(string) string, projectDir, envfile string) (func(string) string, error) {
	if envfile == "" {
		envfile = defaultEnvfile
	}
	path := envfile
	if !filepath.IsAbs(path) {
		if projectDir == "" {
			projectDir = "."
		}
		path = filepath.Join(projectDir, envfile)
	}
	vars, err := godotenv.Read(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && envfile == defaultEnvfile {
			return getenv, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("--envfile %s: %w", path, pe.Err)
		}
		return nil, fmt.Errorf("--envfile %s: %w", path, err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("--envfile %s: is a directory", path)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return vars[k]
	}, nil
}
