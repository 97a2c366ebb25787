package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newMetadataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "metadata", Aliases: []string{"md"}, Short: "Manage Hasura metadata on the server", SilenceUsage: true}
	g.addServerFlags(cmd.PersistentFlags())
	run := func(use, short string, fn func(ctx context.Context, p *Project, out io.Writer, args []string) error, args cobra.PositionalArgs) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: args, RunE: func(cmd *cobra.Command, a []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			return fn(cmd.Context(), p, cmd.OutOrStdout(), a)
		}}
	}
	var listOutput, exportOutput string
	list := run("list", "List all inconsistent objects from the metadata", func(ctx context.Context, p *Project, out io.Writer, _ []string) error {
		return inconsistencyList(ctx, p, out, listOutput)
	}, cobra.NoArgs)
	list.Aliases = []string{"ls"}
	list.Flags().StringVarP(&listOutput, "output", "o", "", "select output format for inconsistent metadata objects (allowed values: json, table)")
	export := run("export", "Export Hasura metadata from the server to the project", func(ctx context.Context, p *Project, out io.Writer, a []string) error {
		if exportOutput != "" {
			return exportToStdout(ctx, p.Client(), out, exportOutput)
		}
		return exportCmd(ctx, p, out, a)
	}, cobra.NoArgs)
	export.Flags().StringVarP(&exportOutput, "output", "o", "", "write metadata to standard output in the given format instead of the project (allowed values: json, yaml)")
	var applyOutput string
	var applyDryRun, disallowInconsistent bool
	apply := run("apply", "Apply Hasura metadata of the project on the server", func(ctx context.Context, p *Project, out io.Writer, a []string) error {
		return applyWithOutput(ctx, p, out, applyDryRun, applyOutput)
	}, cobra.NoArgs)
	af := apply.Flags()
	af.BoolVar(&applyDryRun, "dry-run", false, "show metadata generated from project directory without applying to server (JSON by default, -o for other formats)")
	af.StringVarP(&applyOutput, "output", "o", "", "specify an output format to show applied metadata (allowed values: json, yaml)")
	// Accepted for Hasura scripts: Graft never applies inconsistent
	// metadata, so that a failed apply leaves the server's metadata whole.
	af.BoolVar(&disallowInconsistent, "disallow-inconsistent-metadata", false, "disallow inconsistent metadata to be applied (always the case with graft)")
	ic := &cobra.Command{Use: "inconsistency", Aliases: []string{"ic", "inconsistencies"}, Short: "Manage inconsistent objects in metadata"}
	ic.AddCommand(
		list,
		run("status", "Check if the metadata is inconsistent or not", inconsistencyStatus, cobra.NoArgs),
		run("drop", "Drop inconsistent objects from the metadata", inconsistencyDrop, cobra.NoArgs),
	)
	cmd.AddCommand(
		export,
		apply,
		run("reload", "Reload Hasura metadata on the server", reloadCmd, cobra.NoArgs),
		run("clear", "Clear Hasura metadata on the server", clearCmd, cobra.NoArgs),
		run("diff [dir] [dir]", "Show changes between the server's metadata and the project's (or between two directories)", diffCmd, cobra.MaximumNArgs(2)),
		ic,
	)
	return cmd
}

// ExportMetadata fetches the server's metadata as the files of its directory.
func ExportMetadata(ctx context.Context, c *Client) (map[string][]byte, error) {
	var raw json.RawMessage // raw keeps the server's key order
	if err := c.Metadata(ctx, op("export_metadata", nil), &raw); err != nil {
		return nil, fmt.Errorf("export metadata: %w", err)
	}
	return MetadataFiles(raw)
}

// ApplyMetadata builds dir and replaces the server's metadata with it, in
// one request: the server keeps its old metadata when anything is wrong.
func ApplyMetadata(ctx context.Context, c *Client, dir string) error {
	md, err := BuildMetadata(dir)
	if err != nil {
		return err
	}
	body := map[string]any{"type": "replace_metadata", "version": 2,
		"args": map[string]any{"allow_inconsistent_metadata": false, "metadata": json.RawMessage(md)}}
	if err := c.Metadata(ctx, body, nil); err != nil {
		return fmt.Errorf("apply metadata: %w", err)
	}
	return nil
}

// ReloadMetadata reloads the server's metadata and reports whether it is consistent.
func ReloadMetadata(ctx context.Context, c *Client) (bool, error) {
	var res struct {
		IsConsistent *bool `json:"is_consistent"`
	}
	if err := c.Metadata(ctx, op("reload_metadata", map[string]any{}), &res); err != nil {
		return false, fmt.Errorf("reload metadata: %w", err)
	}
	return res.IsConsistent == nil || *res.IsConsistent, nil
}

func exportCmd(ctx context.Context, p *Project, out io.Writer, _ []string) error {
	files, err := ExportMetadata(ctx, p.Client())
	if err != nil {
		return err
	}
	if err := WriteMetadataDir(p.MetadataDir(), files); err != nil {
		return err
	}
	fmt.Fprintln(out, "Metadata exported")
	return nil
}

// applyWithOutput is `metadata apply`: as Hasura's CLI, --dry-run prints
// the metadata built from the project instead of applying it, and -o
// prints it (in that format) after applying.
func applyWithOutput(ctx context.Context, p *Project, out io.Writer, dryRun bool, format string) error {
	if err := checkOutput(format, "json", "yaml"); err != nil {
		return err
	}
	if dryRun || format != "" {
		md, err := BuildMetadata(p.MetadataDir())
		if err != nil {
			return err
		}
		if !dryRun {
			if err := ApplyMetadata(ctx, p.Client(), p.MetadataDir()); err != nil {
				return err
			}
		}
		if format == "" {
			format = "json"
		}
		return writeMetadataAs(out, md, format)
	}
	if err := ApplyMetadata(ctx, p.Client(), p.MetadataDir()); err != nil {
		return err
	}
	fmt.Fprintln(out, "Metadata applied")
	return nil
}

func reloadCmd(ctx context.Context, p *Project, out io.Writer, _ []string) error {
	ok, err := ReloadMetadata(ctx, p.Client())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Metadata reloaded")
	if !ok {
		fmt.Fprintln(out, "Metadata is inconsistent, use 'graft metadata ic list' command to see the inconsistent objects")
	}
	return nil
}

func clearCmd(ctx context.Context, p *Project, out io.Writer, _ []string) error {
	if err := p.Client().Metadata(ctx, op("clear_metadata", nil), nil); err != nil {
		return fmt.Errorf("clear metadata: %w", err)
	}
	fmt.Fprintln(out, "Metadata cleared")
	return nil
}

// diffCmd compares the server with the project (no argument), the server
// with a directory (one), or two directories.
func diffCmd(ctx context.Context, p *Project, out io.Writer, args []string) error {
	var from, to map[string][]byte
	var err error
	fromName, toName := "server", p.MetadataDir()
	switch len(args) {
	case 2:
		fromName, toName = args[0], args[1]
		if from, err = readMetadataDir(args[0]); err != nil {
			return err
		}
	case 1:
		toName = args[0]
		fallthrough
	default:
		if from, err = ExportMetadata(ctx, p.Client()); err != nil {
			return err
		}
	}
	if to, err = readMetadataDir(toName); err != nil {
		return err
	}
	writeDiff(out, fromName, toName, from, to)
	return nil
}

// readMetadataDir reads every file under dir by slash path.
func readMetadataDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read metadata directory: %w", err)
	}
	return files, nil
}

type inconsistentObject struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Reason     string          `json:"reason"`
	Definition json.RawMessage `json:"definition"`
}

// inconsistencies returns the server's inconsistent objects as it sent them.
func inconsistencies(ctx context.Context, c *Client) (bool, []json.RawMessage, error) {
	var res struct {
		IsConsistent        bool              `json:"is_consistent"`
		InconsistentObjects []json.RawMessage `json:"inconsistent_objects"`
	}
	if err := c.Metadata(ctx, op("get_inconsistent_metadata", nil), &res); err != nil {
		return false, nil, fmt.Errorf("get inconsistent metadata: %w", err)
	}
	return res.IsConsistent, res.InconsistentObjects, nil
}

func inconsistencyList(ctx context.Context, p *Project, out io.Writer, format string) error {
	if err := checkOutput(format, "json", "table"); err != nil {
		return err
	}
	ok, objs, err := inconsistencies(ctx, p.Client())
	if err != nil {
		return err
	}
	if ok {
		if format == "json" {
			// Machine-readable even when there is nothing to list.
			fmt.Fprintln(out, "[]")
			return nil
		}
		fmt.Fprintln(out, "metadata is consistent")
		return nil
	}
	return writeInconsistencies(out, objs, format)
}

func inconsistencyStatus(ctx context.Context, p *Project, out io.Writer, _ []string) error {
	ok, _, err := inconsistencies(ctx, p.Client())
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintln(out, "metadata is consistent")
		return nil
	}
	fmt.Fprintln(out, "metadata is inconsistent, use 'graft metadata ic list' command to see the inconsistent objects")
	return nil
}

func inconsistencyDrop(ctx context.Context, p *Project, out io.Writer, _ []string) error {
	if err := p.Client().Metadata(ctx, op("drop_inconsistent_metadata", nil), nil); err != nil {
		return fmt.Errorf("drop inconsistent metadata: %w", err)
	}
	fmt.Fprintln(out, "all inconsistent objects removed from metadata")
	return nil
}
