package metadata

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// Query collections and the allow list, with Hasura's arguments, errors
// and paths (Hasura.RQL.DDL.QueryCollection, Hasura.RQL.Types.Allowlist).

// collectionsOf reads the collections and allow list of the metadata being
// edited; a part Graft cannot read is reported rather than overwritten.
func (w *work) collectionsOf() ([]QueryCollection, []AllowlistEntry, error) {
	colls, err := w.md.Collections()
	if err != nil {
		return nil, nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	al, err := w.md.AllowlistEntries()
	if err != nil {
		return nil, nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return colls, al, nil
}

// storeCollections writes both parts back; an empty list is dropped, as
// Hasura's export omits it.
func (w *work) storeCollections(colls []QueryCollection, al []AllowlistEntry) error {
	w.md.QueryCollections, w.md.Allowlist = nil, nil
	if len(colls) > 0 {
		b, err := json.Marshal(colls)
		if err != nil {
			return fmt.Errorf("encode query_collections: %w", err)
		}
		w.md.QueryCollections = b
	}
	if len(al) > 0 {
		b, err := json.Marshal(al)
		if err != nil {
			return fmt.Errorf("encode allowlist: %w", err)
		}
		w.md.Allowlist = b
	}
	w.changed = true
	return nil
}

func findCollection(colls []QueryCollection, name string) int {
	for i := range colls {
		if colls[i].Name == name {
			return i
		}
	}
	return -1
}

func findAllowlisted(al []AllowlistEntry, name string) int {
	for i := range al {
		if al[i].Collection == name {
			return i
		}
	}
	return -1
}

func collectionMissing(path, name string) error {
	return &APIError{Status: 400, Code: "not-exists", Path: path, Message: "query collection with name " + strconv.Quote(name) + " does not exist"}
}

// checkQueries refuses duplicate names and text that is not GraphQL: a
// query that cannot parse could never be matched by the allow list.
func checkQueries(path string, qs []CollectionQuery) error {
	seen, dups := map[string]bool{}, []string{}
	for i, q := range qs {
		if q.Name == "" {
			return &APIError{Status: 400, Code: "parse-failed", Path: fmt.Sprintf("%s.queries[%d].name", path, i), Message: "empty query name"}
		}
		if seen[q.Name] {
			dups = append(dups, strconv.Quote(q.Name))
		}
		seen[q.Name] = true
		if err := checkGraphQL(q.Query); err != nil {
			return &APIError{Status: 400, Code: "parse-failed", Path: fmt.Sprintf("%s.queries[%d].query", path, i), Message: err.Error()}
		}
	}
	if len(dups) > 0 {
		return &APIError{Status: 400, Code: "not-supported", Path: path + ".queries", Message: "found duplicate query names " + strings.Join(dups, ", ")}
	}
	return nil
}

func checkGraphQL(q string) error {
	if _, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(q)})}); err != nil {
		return fmt.Errorf("not a valid graphql query: %w", err)
	}
	return nil
}

func opCreateQueryCollection(w *work, r *Request) (any, error) {
	var args QueryCollection
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	if args.Name == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.name", Message: "empty collection name"}
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	if findCollection(colls, args.Name) >= 0 {
		return nil, &APIError{Status: 400, Code: "already-exists", Path: "$.args.name",
			Message: "query collection with name " + strconv.Quote(args.Name) + " already exists"}
	}
	if args.Definition.Queries == nil {
		args.Definition.Queries = []CollectionQuery{}
	}
	if err := checkQueries("$.args.definition", args.Definition.Queries); err != nil {
		return nil, err
	}
	return success, w.storeCollections(append(colls, args), al)
}

func opRenameQueryCollection(w *work, r *Request) (any, error) {
	var args struct {
		Name    string `json:"name"`
		NewName string `json:"new_name"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	i := findCollection(colls, args.Name)
	if i < 0 {
		return nil, collectionMissing("$.args", args.Name)
	}
	if args.NewName == "" || findCollection(colls, args.NewName) >= 0 {
		return nil, &APIError{Status: 400, Code: "already-exists", Path: "$.args.new_name",
			Message: "query collection with name " + strconv.Quote(args.NewName) + " already exists"}
	}
	colls[i].Name = args.NewName
	// The allow list names collections: it follows the rename (Hasura
	// leaves it pointing at the old name, which then fails consistency).
	if j := findAllowlisted(al, args.Name); j >= 0 {
		al[j].Collection = args.NewName
	}
	return success, w.storeCollections(colls, al)
}

func opDropQueryCollection(w *work, r *Request) (any, error) {
	var args struct {
		Collection string `json:"collection"`
		Cascade    bool   `json:"cascade"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	i := findCollection(colls, args.Collection)
	if i < 0 {
		return nil, collectionMissing("$.args.collection", args.Collection)
	}
	if j := findAllowlisted(al, args.Collection); j >= 0 {
		if !args.Cascade {
			return nil, &APIError{Status: 400, Code: "dependency-error", Path: "$.args.collection",
				Message: "query collection with name " + strconv.Quote(args.Collection) + " is present in the allowlist; cannot proceed to drop. " +
					"please use cascade to confirm you wish to drop it from the allowlist as well"}
		}
		al = append(al[:j], al[j+1:]...)
	}
	return success, w.storeCollections(append(colls[:i], colls[i+1:]...), al)
}

func opAddQueryToCollection(w *work, r *Request) (any, error) {
	var args struct {
		CollectionName string `json:"collection_name"`
		QueryName      string `json:"query_name"`
		Query          string `json:"query"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	i := findCollection(colls, args.CollectionName)
	if i < 0 {
		return nil, collectionMissing("$.args", args.CollectionName)
	}
	for _, q := range colls[i].Definition.Queries {
		if q.Name == args.QueryName {
			return nil, &APIError{Status: 400, Code: "already-exists", Path: "$.args", Message: "query with name " +
				strconv.Quote(args.QueryName) + " already exists in collection " + strconv.Quote(args.CollectionName)}
		}
	}
	q := CollectionQuery{Name: args.QueryName, Query: args.Query}
	if err := checkQueries("$.args", []CollectionQuery{q}); err != nil {
		return nil, err
	}
	colls[i].Definition.Queries = append(colls[i].Definition.Queries, q)
	return success, w.storeCollections(colls, al)
}

func opDropQueryFromCollection(w *work, r *Request) (any, error) {
	var args struct {
		CollectionName string `json:"collection_name"`
		QueryName      string `json:"query_name"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	i := findCollection(colls, args.CollectionName)
	if i < 0 {
		return nil, collectionMissing("$.args", args.CollectionName)
	}
	qs := colls[i].Definition.Queries
	for j := range qs {
		if qs[j].Name == args.QueryName {
			colls[i].Definition.Queries = append(qs[:j], qs[j+1:]...)
			return success, w.storeCollections(colls, al)
		}
	}
	return nil, &APIError{Status: 400, Code: "not-found", Path: "$.args", Message: "query with name " +
		strconv.Quote(args.QueryName) + " not found in collection " + strconv.Quote(args.CollectionName)}
}

func opAddCollectionToAllowlist(w *work, r *Request) (any, error) {
	var args AllowlistEntry
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	if findCollection(colls, args.Collection) < 0 {
		return nil, collectionMissing("$.args.collection", args.Collection)
	}
	if findAllowlisted(al, args.Collection) >= 0 {
		// Hasura answers 200 and leaves the entry as it was.
		return map[string]string{"message": "collection " + strconv.Quote(args.Collection) +
			" already exists in the allowlist, scope ignored; to change scope, use update_scope_of_collection_in_allowlist"}, nil
	}
	return success, w.storeCollections(colls, append(al, args))
}

func opDropCollectionFromAllowlist(w *work, r *Request) (any, error) {
	var args struct {
		Collection string `json:"collection"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	if findCollection(colls, args.Collection) < 0 {
		return nil, collectionMissing("$.args.collection", args.Collection)
	}
	j := findAllowlisted(al, args.Collection)
	if j < 0 {
		return nil, notInAllowlist(args.Collection)
	}
	return success, w.storeCollections(colls, append(al[:j], al[j+1:]...))
}

func notInAllowlist(name string) error {
	return &APIError{Status: 400, Code: "not-found", Path: "$.args", Message: "collection " + strconv.Quote(name) + " doesn't exist in the allowlist"}
}

func opUpdateScopeOfCollectionInAllowlist(w *work, r *Request) (any, error) {
	var probe struct {
		Scope json.RawMessage `json:"scope"`
	}
	if err := decodeArgs(r, &probe); err != nil {
		return nil, err
	}
	if len(probe.Scope) == 0 {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "scope" not found`}
	}
	var args AllowlistEntry
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	colls, al, err := w.collectionsOf()
	if err != nil {
		return nil, err
	}
	if findCollection(colls, args.Collection) < 0 {
		return nil, collectionMissing("$.args.collection", args.Collection)
	}
	j := findAllowlisted(al, args.Collection)
	if j < 0 {
		return nil, notInAllowlist(args.Collection)
	}
	al[j].Scope = args.Scope
	return success, w.storeCollections(colls, al)
}
