package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/graftql/graft/tests/testenv"
)

// TestConsoleBrowser drives the console in headless chromium against an
// in-process Graft: the admin secret entered in the bar, a mutation run in
// GraphiQL, the schema docs, a subscription pushed after a plain SQL write,
// the tables page, then the event the mutation fired: dead after a failed
// delivery, its invocation log, redelivered from the page and then
// delivered; the inconsistent metadata page; last, GraphiQL with a pasted
// JWT. Screenshots go to .graft/console-screenshots/.
func TestConsoleBrowser(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	// The webhook fails the first delivery of the row the console inserts
	// (for good: no retries) and accepts everything else; hits are the
	// deliveries of that row.
	var failed atomic.Bool
	hits := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body struct {
			ID    string
			Event struct {
				Data struct{ New struct{ Name string } }
			}
		}
		json.Unmarshal(raw, &body)
		if body.Event.Data.New.Name != "from the console" {
			io.WriteString(w, `{"ok":true}`)
			return
		}
		hits <- body.ID
		if failed.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "webhook down for maintenance")
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(hook.Close)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true, JWTSecret: `{"type":"HS256","key":"` + hsKey + `"}`,
		Env: map[string]string{"HASURA_GRAPHQL_ENABLE_CONSOLE": "true"}})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL);
	          CREATE TABLE tag (id serial PRIMARY KEY, item_id int NOT NULL REFERENCES item, label text NOT NULL);
	          CREATE TABLE doomed (id int PRIMARY KEY)`)
	s.Metadata(op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "item"}),
		op("pg_track_table", map[string]any{"table": "tag"}),
		op("pg_track_table", map[string]any{"table": "doomed"}),
		op("pg_create_object_relationship", map[string]any{"table": "tag", "name": "item", "using": map[string]any{"foreign_key_constraint_on": "item_id"}}),
		op("pg_create_array_relationship", map[string]any{"table": "item", "name": "tags",
			"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "tag", "column": "item_id"}}}),
		perm("select", "item", "user", map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{}}),
		perm("insert", "tag", "user", map[string]any{"columns": []string{"item_id", "label"}, "check": map[string]any{}}),
		op("pg_create_event_trigger", map[string]any{"name": "item_events", "table": "item", "webhook": hook.URL,
			"insert": map[string]any{"columns": "*"}, "retry_conf": map[string]any{"num_retries": 0, "interval_sec": 1}}),
	}))

	b := newBrowser(t)
	mutation := "mutation {\n  insert_item_one(object: {name: \"from the console\"}) {\n    id\n    name\n  }\n}"
	b.do("open GraphiQL", chromedp.Navigate(s.URL+"/console/?query="+url.QueryEscape(mutation)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.SetValue(chromedp.ID("auth-value"), testenv.AdminSecret),
		chromedp.Click(chromedp.ID("auth-save")))
	b.waitText("credentials saved", "#auth-state", "admin secret set")
	// The docs list the schema once the introspection with the secret is in.
	b.do("open the docs", chromedp.Click(chromedp.CSS(`.graphiql-sidebar button[aria-label="Show Documentation Explorer"]`)))
	b.waitText("schema docs", ".graphiql-doc-explorer", "mutation_root")
	b.do("run the mutation", chromedp.Click(chromedp.CSS(".graphiql-execute-button")))
	b.waitText("mutation result", ".graphiql-response", `"name": "from the console"`)
	b.screenshot("1-graphiql-mutation")

	// A subscription over graphql-transport-ws: the first result, then the
	// push after a write Graft only sees in the WAL.
	subscription := "subscription {\n  item(order_by: {id: asc}) {\n    id\n    name\n  }\n}"
	b.do("open the subscription", chromedp.Navigate(s.URL+"/console/?query="+url.QueryEscape(subscription)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")))
	b.waitText("credentials kept", "#auth-state", "admin secret set")
	b.do("subscribe", chromedp.Click(chromedp.CSS(".graphiql-execute-button")))
	b.waitText("subscription result", ".graphiql-response", `"name": "from the console"`)
	testenv.Exec(t, db, `INSERT INTO item (name) VALUES ('from SQL')`)
	b.waitText("subscription push", ".graphiql-response", `"name": "from SQL"`)
	b.screenshot("2-graphiql-subscription")

	b.do("tables page", chromedp.Navigate(s.URL+"/console/tables.html"))
	b.waitText("tables", "#content", "3 tracked table(s)")
	b.waitText("relationships", `section[data-table="public.item"]`, "tags")
	b.waitText("permissions", `section[data-table="public.tag"] table.perms`, "user")
	b.do("open a permission", chromedp.Click(chromedp.CSS(`section[data-table="public.tag"] table.perms details summary`)))
	b.waitText("permission JSON", `section[data-table="public.tag"] table.perms details`, `"item_id"`)
	b.screenshot("3-tables")

	// The mutation's event: its only delivery failed, so it is dead.
	eventID := <-hits
	b.do("events page", chromedp.Navigate(s.URL+"/console/events.html#item_events"))
	b.waitText("trigger", "section.trigger", "item_events")
	b.do("dead tab", chromedp.Click(chromedp.CSS(`button[data-tab="dead"]`)))
	b.waitText("dead event", "#events", eventID[:8])
	b.do("open the event", chromedp.Click(chromedp.CSS(`tr.event[data-event="`+eventID+`"]`)))
	b.waitText("invocation log", ".event-detail", "webhook down for maintenance")
	b.waitText("invocation status", ".event-detail table.invocations", "503")
	b.screenshot("4-events-dead")

	b.do("redeliver", chromedp.Click(chromedp.ID("redeliver")))
	select {
	case id := <-hits:
		if id != eventID {
			t.Fatalf("redelivered %s, want %s", id, eventID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no redelivery after the Redeliver button")
	}
	b.waitText("redelivered", "#redeliver-state", "Redelivered.")
	b.waitText("delivered", ".event-detail header", "delivered")
	b.waitText("second invocation", ".event-detail table.invocations", "200")
	b.waitText("no longer dead", "#events", "No dead events.")
	b.screenshot("5-events-redelivered")
	b.do("processed tab", chromedp.Click(chromedp.CSS(`button[data-tab="processed"]`)))
	b.waitText("processed event", `tr.event[data-event="`+eventID+`"]`, "delivered")
	b.do("invocation logs tab", chromedp.Click(chromedp.CSS(`button[data-tab="invocations"]`)))
	b.waitText("failed attempt logged", "#events table.invocations", "webhook down for maintenance")
	b.waitText("both attempts logged", "#events table.invocations", `{"ok":true}`)
	b.screenshot("6-events-invocation-logs")
	var ev struct{ Event struct{ Delivered bool } }
	json.Unmarshal(s.Metadata(op("pg_get_event_by_id", map[string]any{"event_id": eventID})).Body, &ev)
	if !ev.Event.Delivered {
		t.Fatalf("event %s not delivered after the redelivery", eventID)
	}

	// A table dropped behind Graft's back is inconsistent after a reload.
	testenv.Exec(t, db, `DROP TABLE doomed`)
	s.Metadata(op("reload_metadata", map[string]any{}))
	b.do("inconsistent page", chromedp.Navigate(s.URL+"/console/inconsistent.html"))
	b.waitText("inconsistent", "#content", "1 inconsistent object(s)")
	b.waitText("inconsistent object", "table.inconsistent", "doomed")
	b.screenshot("7-inconsistent")

	// A pasted JWT: GraphiQL runs as its role (user may not select tag),
	// and the metadata pages say the API is for the admin only.
	b.do("paste a JWT", chromedp.SetValue(chromedp.ID("auth-kind"), "jwt"),
		chromedp.SetValue(chromedp.ID("auth-value"), signHS(t, hasuraClaims("1", "user"))),
		chromedp.Click(chromedp.ID("auth-save")))
	b.waitText("JWT saved", "#auth-state", "JWT set")
	b.waitText("admin only", "#content", "access-denied")
	asUser := "query {\n  item(order_by: {id: asc}) {\n    name\n  }\n  tag {\n    id\n  }\n}"
	b.do("GraphiQL as user", chromedp.Navigate(s.URL+"/console/?query="+url.QueryEscape(asUser)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")))
	b.waitText("JWT kept", "#auth-state", "JWT set")
	b.do("run as user", chromedp.Click(chromedp.CSS(".graphiql-execute-button")))
	b.waitText("role user", ".graphiql-response", `"path": "$.selectionSet.tag"`)
	b.screenshot("8-graphiql-jwt")
}
