package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Config is a project's config.yaml in Hasura's version 3 format.
type Config struct {
	Version             int           `yaml:"version"`
	Endpoint            string        `yaml:"endpoint,omitempty"`
	AdminSecret         string        `yaml:"admin_secret,omitempty"`
	MetadataDirectory   string        `yaml:"metadata_directory,omitempty"`
	MigrationsDirectory string        `yaml:"migrations_directory,omitempty"`
	SeedsDirectory      string        `yaml:"seeds_directory,omitempty"`
	Actions             *ActionConfig `yaml:"actions,omitempty"`
}

// ActionConfig is config.yaml's actions section, kept for the files Hasura's
// `actions` commands would write; Graft only reads and preserves it.
type ActionConfig struct {
	Kind                  string `yaml:"kind"`
	HandlerWebhookBaseURL string `yaml:"handler_webhook_baseurl"`
}

// Project is a project directory with its resolved settings: config.yaml,
// then environment, then flags, as Hasura's CLI resolves them.
type Project struct {
	Dir    string
	Config Config
}

// MetadataDir, MigrationsDir and SeedsDir are absolute directories of the project.
func (p *Project) MetadataDir() string   { return p.abs(p.Config.MetadataDirectory) }
func (p *Project) MigrationsDir() string { return p.abs(p.Config.MigrationsDirectory) }
func (p *Project) SeedsDir() string      { return p.abs(p.Config.SeedsDirectory) }

func (p *Project) abs(d string) string {
	if filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(p.Dir, d)
}

// Client returns a client for the project's endpoint.
func (p *Project) Client() *Client { return NewClient(p.Config.Endpoint, p.Config.AdminSecret) }

// defaultConfig is what `graft init` writes, the same as `hasura init`.
func defaultConfig(endpoint string) Config {
	if endpoint == "" {
		endpoint = "http://localhost:8080"
	}
	return Config{Version: 3, Endpoint: endpoint, MetadataDirectory: "metadata",
		Actions: &ActionConfig{Kind: "synchronous", HandlerWebhookBaseURL: "http://localhost:3000"}}
}

// Overrides are the settings that flags or the environment give over config.yaml.
type Overrides struct {
	Endpoint    string
	AdminSecret string
}

// LoadProject reads dir/config.yaml and applies the environment
// (HASURA_GRAPHQL_ENDPOINT, HASURA_GRAPHQL_ADMIN_SECRET) and then flags.
func LoadProject(dir string, getenv func(string) string, flags Overrides) (*Project, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("project directory %s: %w", dir, err)
	}
	path := filepath.Join(abs, "config.yaml")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config.yaml in %s: run `graft init` or pass --project", abs)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if v := getenv("HASURA_GRAPHQL_ENDPOINT"); v != "" {
		cfg.Endpoint = v
	}
	if v := getenv("HASURA_GRAPHQL_ADMIN_SECRET"); v != "" {
		cfg.AdminSecret = v
	}
	if flags.Endpoint != "" {
		cfg.Endpoint = flags.Endpoint
	}
	if flags.AdminSecret != "" {
		cfg.AdminSecret = flags.AdminSecret
	}
	return &Project{Dir: abs, Config: cfg}, nil
}

// parseConfig reads config.yaml, filling Hasura's defaults. Only version 3 is
// read: v1 and v2 projects keep migrations in another layout, which Hasura
// converts with `hasura scripts update-project-v3`.
func parseConfig(raw []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("malformed YAML: %w", err)
	}
	switch cfg.Version {
	case 3:
	case 0, 1, 2:
		v := cfg.Version
		if v == 0 {
			v = 1
		}
		return cfg, fmt.Errorf("config version %d is not supported: graft reads config version 3 (convert the project with `hasura scripts update-project-v3`)", v)
	default:
		return cfg, fmt.Errorf("unknown config version %d: graft reads config version 3", cfg.Version)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "http://localhost:8080"
	}
	if cfg.MetadataDirectory == "" {
		cfg.MetadataDirectory = "metadata"
	}
	if cfg.MigrationsDirectory == "" {
		cfg.MigrationsDirectory = "migrations"
	}
	if cfg.SeedsDirectory == "" {
		cfg.SeedsDirectory = "seeds"
	}
	return cfg, nil
}
