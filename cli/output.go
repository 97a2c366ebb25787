package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// checkOutput validates an --output value against the formats a command takes.
func checkOutput(flag string, allowed ...string) error {
	if flag == "" {
		return nil
	}
	for _, a := range allowed {
		if flag == a {
			return nil
		}
	}
	return fmt.Errorf("--output %q is not supported here: allowed values are %v", flag, allowed)
}

// writeMetadataAs writes exported metadata JSON to out as Hasura's
// `metadata export -o json|yaml` does: JSON indented by two spaces, or YAML,
// keys in the server's order either way.
func writeMetadataAs(out io.Writer, raw []byte, format string) error {
	switch format {
	case "json":
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("exported metadata is not JSON: %w", err)
		}
		buf.WriteByte('\n')
		_, err := out.Write(buf.Bytes())
		return err
	case "yaml":
		n, err := jsonToNode(raw)
		if err != nil {
			return err
		}
		b, err := encodeYAML(n)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	return checkOutput(format, "json", "yaml")
}

// exportToStdout is `metadata export -o FORMAT`: the server's metadata on
// stdout, the project left as it is.
func exportToStdout(ctx context.Context, c *Client, out io.Writer, format string) error {
	if err := checkOutput(format, "json", "yaml"); err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Metadata(ctx, op("export_metadata", nil), &raw); err != nil {
		return fmt.Errorf("export metadata: %w", err)
	}
	return writeMetadataAs(out, raw, format)
}

// writeInconsistencies prints inconsistent objects as Hasura's `metadata ic
// list`: a NAME TYPE DESCRIPTION REASON table, or with -o json the
// server's objects as an indented JSON array.
func writeInconsistencies(out io.Writer, objs []json.RawMessage, format string) error {
	if format == "json" {
		var list []any
		for _, o := range objs {
			var v any
			if err := json.Unmarshal(o, &v); err != nil {
				return fmt.Errorf("inconsistent object: %w", err)
			}
			list = append(list, v)
		}
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(b))
		return err
	}
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tDESCRIPTION\tREASON")
	for _, raw := range objs {
		var o inconsistentObject
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("inconsistent object: %w", err)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.Name, o.Type, string(o.Definition), o.Reason)
	}
	return w.Flush()
}

// migrationStatus is one row of `migrate status -o json` (Graft's: Hasura's
// CLI prints only the table): the table's columns, with booleans.
type migrationStatus struct {
	Version        int64  `json:"version"`
	Name           string `json:"name"`
	SourceStatus   bool   `json:"source_status"`
	DatabaseStatus bool   `json:"database_status"`
}

// statusRows lists every version present in the project or on the server.
func statusRows(local []Migration, applied map[int64]bool) []migrationStatus {
	names := map[int64]string{}
	all := map[int64]bool{}
	for _, m := range local {
		names[m.Version] = m.Name
		all[m.Version] = true
	}
	for v := range applied {
		all[v] = true
	}
	rows := []migrationStatus{}
	for _, v := range sortedVersions(all) {
		_, onServer := applied[v]
		_, inProject := names[v]
		rows = append(rows, migrationStatus{Version: v, Name: names[v], SourceStatus: inProject, DatabaseStatus: onServer})
	}
	return rows
}

// writeStatusJSON prints {"database": name, "migrations": [rows]}.
func writeStatusJSON(out io.Writer, database string, rows []migrationStatus) error {
	b, err := json.MarshalIndent(map[string]any{"database": database, "migrations": rows}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}
