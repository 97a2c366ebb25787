package fault

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// receiver is the event webhook: an httptest server on loopback recording,
// per row id, the event ids delivered (answered 2xx) and how often.
type receiver struct {
	*httptest.Server
	trigger string

	// failing makes the webhook answer 500 (nothing is recorded as
	// delivered) while it is set.
	failing atomic.Bool

	mu         sync.Mutex
	byRow      map[int64]map[string]int // row id -> event id -> deliveries
	ok         int                      // 2xx answers
	failures   int                      // 500 answers
	failedRows map[int64]bool
	bad        []string // payloads that are not an INSERT of the trigger
}

func newReceiver(t *testing.T, trigger string) *receiver {
	r := &receiver{trigger: trigger, byRow: map[int64]map[string]int{}, failedRows: map[int64]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		// In-flight requests of a Graft still running would make Close wait.
		r.CloseClientConnections()
		r.Close()
	})
	return r
}

// payload is the part of Hasura's event payload the receiver checks.
type payload struct {
	ID      string `json:"id"`
	Trigger struct {
		Name string `json:"name"`
	} `json:"trigger"`
	Event struct {
		Op   string `json:"op"`
		Data struct {
			New *struct {
				ID int64 `json:"id"`
			} `json:"new"`
		} `json:"data"`
	} `json:"event"`
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var p payload
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal(raw, &p); err != nil || p.ID == "" || p.Event.Op != "INSERT" ||
		p.Trigger.Name != r.trigger || p.Event.Data.New == nil {
		if len(r.bad) < 5 {
			r.bad = append(r.bad, string(raw))
		}
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	row := p.Event.Data.New.ID
	if r.failing.Load() {
		r.failures++
		r.failedRows[row] = true
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	ids := r.byRow[row]
	if ids == nil {
		ids = map[string]int{}
		r.byRow[row] = ids
	}
	ids[p.ID]++
	r.ok++
	w.WriteHeader(http.StatusOK)
}

// rows is how many distinct rows have been delivered.
func (r *receiver) rows() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byRow)
}

// failed is the number of 500 answers and of distinct rows they were for.
func (r *receiver) failed() (answers, rows int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures, len(r.failedRows)
}

// progress counts every request answered, to tell a stalled test.
func (r *receiver) progress() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok + r.failures
}

// tally is the outcome for rows 1..n.
type tally struct {
	events, lost, duplicates int
	sameID, newID            int     // duplicates under the same event id / under another id
	missing                  []int64 // the first few lost rows
	unexpected               int     // delivered rows outside 1..n
	bad                      []string
}

func (r *receiver) tally(n int) tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := tally{events: n, bad: r.bad}
	for row := int64(1); row <= int64(n); row++ {
		ids, ok := r.byRow[row]
		if !ok {
			t.lost++
			if len(t.missing) < 10 {
				t.missing = append(t.missing, row)
			}
			continue
		}
		t.newID += len(ids) - 1
		for _, c := range ids {
			t.sameID += c - 1
		}
	}
	t.duplicates = t.sameID + t.newID
	t.unexpected = len(r.byRow) - (n - t.lost)
	return t
}
