package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func newInitCmd(g *globals) *cobra.Command {
	var endpoint, adminSecret string
	cmd := &cobra.Command{
		Use:          "init [directory-name]",
		Short:        "Initialize a directory for a Graft (Hasura config v3) project",
		Args:         cobra.MaximumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "hasura" // Hasura's default project name
			if len(args) == 1 {
				dir = args[0]
			}
			if err := InitProject(dir, endpoint, adminSecret); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "project initialised at %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "http(s) endpoint for Graft")
	cmd.Flags().StringVar(&adminSecret, "admin-secret", "", "admin secret for Graft")
	return cmd
}

// InitProject creates Hasura's project skeleton in dir: config.yaml, the
// metadata directory of an empty metadata, and empty migrations/ and seeds/.
// An existing project is never overwritten.
func InitProject(dir, endpoint, adminSecret string) error {
	cfgPath := filepath.Join(dir, "config.yaml")
	if _, err := os.Stat(cfgPath); err == nil {
		return fmt.Errorf("%s already exists: %s is a project already", cfgPath, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("init: %w", err)
	}
	cfg := defaultConfig(endpoint)
	cfg.AdminSecret = adminSecret
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("encode config.yaml: %w", err)
	}
	for _, d := range []string{"migrations", "seeds"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	files, err := MetadataFiles([]byte(`{"version":3,"sources":[]}`))
	if err != nil {
		return err
	}
	if err := WriteMetadataDir(filepath.Join(dir, "metadata"), files); err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write config.yaml: %w", err)
	}
	return nil
}
