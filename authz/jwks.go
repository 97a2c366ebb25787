package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksCache holds the keys of a jwk_url. Like Hasura it refreshes them when
// the response's Cache-Control max-age or Expires runs out, and once when a
// token names a kid it does not know (key rotation), at most once a second.
type jwksCache struct {
	url    string
	client *http.Client

	mu           sync.Mutex
	keys         map[string]any // kid -> public key
	anon         []any          // keys without a kid
	expires      time.Time      // zero: no expiry given
	fetched      bool
	lastKidFetch time.Time
}

func newJWKSCache(url string) *jwksCache {
	return &jwksCache{url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

// key returns the verification key for kid ("" when the token has none).
func (c *jwksCache) key(ctx context.Context, kid string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.fetched || (!c.expires.IsZero() && now.After(c.expires)) {
		if err := c.fetch(ctx); err != nil {
			return nil, err
		}
	}
	if k := c.find(kid); k != nil {
		return k, nil
	}
	if kid != "" && now.Sub(c.lastKidFetch) > time.Second {
		c.lastKidFetch = now
		if err := c.fetch(ctx); err != nil {
			return nil, err
		}
		if k := c.find(kid); k != nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no JWK found for kid %q", kid)
}

func (c *jwksCache) find(kid string) any {
	if kid != "" {
		return c.keys[kid]
	}
	if len(c.anon) == 1 {
		return c.anon[0]
	}
	if len(c.anon) == 0 && len(c.keys) == 1 {
		for _, k := range c.keys {
			return k
		}
	}
	return nil
}

func (c *jwksCache) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch JWK set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch JWK set: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("fetch JWK set: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("parse JWK set: %w", err)
	}
	c.keys, c.anon = map[string]any{}, nil
	for _, k := range set.Keys {
		pub := k.Public()
		key := pub.Key
		if k.IsPublic() || pub.Key == nil {
			key = k.Key // symmetric keys (oct) have no public half
		}
		if k.KeyID == "" {
			c.anon = append(c.anon, key)
		} else {
			c.keys[k.KeyID] = key
		}
	}
	c.fetched = true
	c.expires = cacheExpiry(resp.Header, time.Now())
	return nil
}

// cacheExpiry reads Cache-Control max-age, then Expires; zero means none.
func cacheExpiry(h http.Header, now time.Time) time.Time {
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		d = strings.TrimSpace(strings.ToLower(d))
		if d == "no-cache" || d == "no-store" {
			return now
		}
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return now.Add(time.Duration(n) * time.Second)
			}
		}
	}
	if e := h.Get("Expires"); e != "" {
		if t, err := http.ParseTime(e); err == nil {
			return t
		}
	}
	return time.Time{}
}
