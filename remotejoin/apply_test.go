package remotejoin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// keyEcho answers each key with {"got": key} and counts its calls.
type keyEcho struct{ calls int }

func (k *keyEcho) Fetch(_ context.Context, keys []json.RawMessage) ([]json.RawMessage, error) {
	k.calls++
	out := make([]json.RawMessage, len(keys))
	for i, key := range keys {
		out[i] = json.RawMessage(`{"got":` + string(key) + `}`)
	}
	return out, nil
}

func TestApplyStitchesInOrderWithOneFetchPerJoin(t *testing.T) {
	value := []byte(`[{"z":1,"rel":{"id" : 1},"kids":[{"r2":{"k":1}},{"r2":{"k":2}}]},null,{"z":2,"rel":{"id":2},"kids":[]}]`)
	a, b := &keyEcho{}, &keyEcho{}
	got, err := Apply(context.Background(), value, []Join{{Path: []string{"rel"}, Joiner: a}, {Path: []string{"kids", "r2"}, Joiner: b}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"z":1,"rel":{"got":{"id" : 1}},"kids":[{"r2":{"got":{"k":1}}},{"r2":{"got":{"k":2}}}]},null,{"z":2,"rel":{"got":{"id":2}},"kids":[]}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if a.calls != 1 || b.calls != 1 {
		t.Fatalf("calls %d, %d; want one per join", a.calls, b.calls)
	}
}

func TestApplyWithoutRowsDoesNotFetch(t *testing.T) {
	k := &keyEcho{}
	got, err := Apply(context.Background(), []byte(`[]`), []Join{{Path: []string{"rel"}, Joiner: k}})
	if err != nil || string(got) != `[]` || k.calls != 0 {
		t.Fatalf("got %s, %v, %d calls", got, err, k.calls)
	}
}

func TestApplyRefusesBadJSON(t *testing.T) {
	_, err := Apply(context.Background(), []byte(`[{"rel":`), []Join{{Path: []string{"rel"}, Joiner: &keyEcho{}}})
	if err == nil || !strings.Contains(err.Error(), "remote join") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyKeepsEscapesAndSpacing(t *testing.T) {
	value := []byte(` { "a\"b" : "x,]}" , "rel" : { "k" : [1, {"y": "}"}] } , "n": -1.5e3 } `)
	got, err := Apply(context.Background(), value, []Join{{Path: []string{"rel"}, Joiner: &keyEcho{}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a\"b":"x,]}","rel":{"got":{ "k" : [1, {"y": "}"}] }},"n":-1.5e3}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// failing refuses every fetch.
type failing struct{}

func (failing) Fetch(context.Context, []json.RawMessage) ([]json.RawMessage, error) {
	return nil, errors.New("remote down")
}

func TestApplyPartialNullsOnlyTheFailingJoin(t *testing.T) {
	value := []byte(`[null,{"kids":[],"rel":{"id":1}},{"kids":[{"r2":{"k":1}}],"rel":{"id":2}}]`)
	got, failed, err := ApplyPartial(context.Background(), value,
		[]Join{{Path: []string{"rel"}, Joiner: &keyEcho{}}, {Path: []string{"kids", "r2"}, Joiner: failing{}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[null,{"kids":[],"rel":{"got":{"id":1}}},{"kids":[{"r2":null}],"rel":{"got":{"id":2}}}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if len(failed) != 1 || fmt.Sprint(failed[0].Path) != "[2 kids 0 r2]" || failed[0].Error() != "remote down" {
		t.Fatalf("failed = %+v", failed)
	}
}
