package replication

import "context"

// ReplaceFirst gives s a new temporary slot to hand to its next temporary
// session, as Start does for the first one: the state of a Stream that
// UsePersistent reaches before its first session took that slot, which
// otherwise depends on who wins a race. It returns the slot's name.
func (s *Stream) ReplaceFirst(ctx context.Context) (string, error) {
	t, err := s.openTemporary(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	old := s.first
	s.first = t
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	return t.name, nil
}
