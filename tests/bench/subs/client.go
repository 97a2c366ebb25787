package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// subQuery is the one query shape of every subscriber: ids differ, so each
// id is a cohort of its own and all of them share one multiplexed plan.
const subQuery = `subscription($id: Int!) { item_by_pk(id: $id) { id v } }`

var initFrame = []byte(`{"type":"connection_init","payload":{"headers":{"X-Hasura-Admin-Secret":"` + adminSecret + `"}}}`)

// subClient is one graphql-transport-ws connection with one subscription.
type subClient struct {
	conn *websocket.Conn
	id   int
}

// dialer spreads connections over source addresses 127.0.0.2-127.0.0.17
// (all loopback), so tens of thousands of them cannot run out of ephemeral
// ports, even with the TIME_WAITs of an earlier section.
func dialer(i int) *websocket.Dialer {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%16))}
	nd := &net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	return &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		Subprotocols:     []string{"graphql-transport-ws"},
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
	}
}

// subscribe connects, initialises and subscribes to item id, and returns
// once the first result has arrived (its body is returned).
func subscribe(ctx context.Context, url string, i, id int) (*subClient, []byte, error) {
	conn, _, err := dialer(i).DialContext(ctx, url, nil)
	if err != nil {
		return nil, nil, err
	}
	c := &subClient{conn: conn, id: id}
	fail := func(err error) (*subClient, []byte, error) {
		conn.Close()
		return nil, nil, err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, initFrame); err != nil {
		return fail(err)
	}
	if _, msg, err := conn.ReadMessage(); err != nil || !bytes.Contains(msg, []byte(`"connection_ack"`)) {
		return fail(fmt.Errorf("connection_init: %s %v", msg, err))
	}
	sub := `{"id":"1","type":"subscribe","payload":{"query":` + strconv.Quote(subQuery) + `,"variables":{"id":` + strconv.Itoa(id) + `}}}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		return fail(err)
	}
	_, msg, err := conn.ReadMessage()
	if err != nil || !bytes.Contains(msg, []byte(`"type":"next"`)) {
		return fail(fmt.Errorf("subscribe: %s %v", msg, err))
	}
	conn.SetReadDeadline(time.Time{})
	return c, msg, nil
}

// read hands every later frame to onFrame until the connection closes.
func (c *subClient) read(onFrame func(msg []byte, at time.Time)) {
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		onFrame(msg, time.Now())
	}
}

// openAll opens n subscriptions, to ids idOf(i), with a bounded number of
// handshakes in flight.
func openAll(ctx context.Context, url string, n int, idOf func(int) int) ([]*subClient, error) {
	clients := make([]*subClient, n)
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range work {
				c, _, err := subscribe(ctx, url, i, idOf(i))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("subscriber %d: %w", i, err)
				}
				clients[i] = c
				mu.Unlock()
			}
		})
	}
	for i := range n {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		closeAll(clients)
		return nil, firstErr
	}
	return clients, nil
}

func closeAll(clients []*subClient) {
	for _, c := range clients {
		if c != nil {
			c.conn.Close()
		}
	}
}

// fieldInt reads the integer value of the first key `name` in a frame,
// without decoding the whole JSON (the frames are Graft's, and small; the
// database may write `"v" : 1`).
func fieldInt(msg []byte, name string) (int64, bool) {
	key := []byte(`"` + name + `"`)
	i := bytes.Index(msg, key)
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(msg[i+len(key):], " ")
	if len(rest) == 0 || rest[0] != ':' {
		return 0, false
	}
	rest = bytes.TrimLeft(rest[1:], ` "`) // a bigint would be a string
	j := 0
	for j < len(rest) && (rest[j] == '-' || rest[j] >= '0' && rest[j] <= '9') {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}
