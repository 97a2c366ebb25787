package metadata

// An added source's event triggers fire from that source's own WAL, read
// only where its database allows logical replication. Whether it does is
// known to the server running the readers (proxy/walsources.go), not to
// the metadata: it tells the Manager through SetEventsServed, and
// pg_create_event_trigger on a source whose WAL is not read answers with a
// "not served" warning naming the reason.

// SetEventsServed sets how to learn whether an added source's event
// triggers get events: nil when they do, else why not.
func (m *Manager) SetEventsServed(fn func(source string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.eventsServed = fn
}

// eventTriggerWarnings are the warnings of a trigger just created: the parts
// it keeps but does not apply, and its source's WAL not being read.
func (w *work) eventTriggerWarnings(source, name, table string) []Warning {
	full := "event_trigger " + name + " in table " + table + " in source " + source
	out := w.notServed("event_trigger", full)
	if source == "" || source == "default" || w.m.eventsServed == nil {
		return out
	}
	if err := w.m.eventsServed(source); err != nil {
		out = append(out, Warning{Type: "event_trigger", Name: full, Code: NotServedCode,
			Message: "stored, not served: the WAL of source " + source + " is not read (" + err.Error() + "); " + name + " never calls its webhook"})
	}
	return out
}
