package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/proxy/pgdump"
)

// pgDumpRequest is the body of POST /v1alpha1/pg_dump, as Hasura's.
type pgDumpRequest struct {
	Opts        *[]string `json:"opts"`
	CleanOutput bool      `json:"clean_output"`
	Source      string    `json:"source"`
}

// sqlContentType is what Hasura answers a dump with.
var sqlContentType = []string{"application/sql; charset=utf-8"}

// pgDump serves Hasura's pg_dump API (admin only): pg_dump of the source's
// database with the given options, as SQL text. Hasura's CLI builds
// `migrate create --from-server` and `seed create --from-table` on it.
func (s *Server) pgDump(w http.ResponseWriter, r *http.Request) {
	sess, err := s.Auth.ResolveRequest(r.Context(), r.Header, nil)
	if err != nil {
		ae := authError(err)
		writeAdminError(w, &metadata.APIError{Status: ae.Status, Code: ae.Code, Path: "$", Message: ae.Message})
		return
	}
	if !sess.IsAdmin() {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "access-denied", Path: "$", Message: "restricted access : admin only"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "bad-request", Path: "$", Message: "request body too large or unreadable"})
		return
	}
	var req pgDumpRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$", Message: "Error in $: " + err.Error()})
		return
	}
	if req.Opts == nil {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$", Message: `Error in $: key "opts" not found`})
		return
	}
	if err := pgdump.CheckOptions(*req.Opts); err != nil {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "bad-request", Path: "$.opts", Message: err.Error()})
		return
	}
	url, err := s.Meta.SourceDatabaseURL(req.Source)
	if err != nil {
		writeAdminError(w, metadata.AsAPIError(err))
		return
	}
	out, err := pgdump.Run(r.Context(), url, *req.Opts)
	if err != nil {
		// As Hasura: a failing pg_dump is a 500 carrying its stderr.
		msg := "internal exception while executing pg_dump: " + err.Error()
		var de *pgdump.DumpError
		if errors.As(err, &de) {
			msg = de.Error()
		}
		s.Log.Error("pg_dump failed", "type", "http-log", "error", msg)
		writeAdminError(w, &metadata.APIError{Status: 500, Code: "unexpected", Path: "$", Message: msg})
		return
	}
	if req.CleanOutput {
		out = pgdump.Clean(out)
	}
	w.Header()["Content-Type"] = sqlContentType
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}
