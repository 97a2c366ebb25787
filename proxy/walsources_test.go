package proxy

import (
	"strings"
	"testing"
)

func TestSourceSlotName(t *testing.T) {
	for _, c := range []struct{ main, source, want string }{
		{"graft_slot", "library", "graft_slot_library"},
		{"graft_slot", "my_db2", "graft_slot_my_db2"},
	} {
		if got := sourceSlotName(c.main, c.source); got != c.want {
			t.Errorf("sourceSlotName(%q, %q) = %q, want %q", c.main, c.source, got, c.want)
		}
	}
	// Names PostgreSQL would refuse, or that would collide once cleaned,
	// get a hash of the source's name: valid, distinct, at most 63 bytes.
	seen := map[string]string{}
	for _, source := range []string{"My-DB", "my_db", "my db", "Ünïcode", strings.Repeat("x", 80), strings.Repeat("x", 81)} {
		got := sourceSlotName("graft_slot", source)
		if len(got) > 63 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("sourceSlotName(%q) = %q: not a valid slot name", source, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("sources %q and %q share slot %q", other, source, got)
		}
		seen[got] = source
	}
}
