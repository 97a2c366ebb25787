package graphql

// Live queries on an added source are refetched after Graft's own writes
// to it and on the fallback tick; where the source's WAL is read
// (proxy/walsources.go, reported through Engine.LiveSources) every commit
// there refetches them too, and Graft's mutations write the session into
// that WAL for its event triggers.

// sourceWALRead tells whether a source's WAL may be read: always assumed
// for the default source (whose mutations have always emitted the session
// message), for an added one when LiveSources says so.
func (e *Engine) sourceWALRead(source string) bool {
	if sameSource(source, "default") {
		return true
	}
	return e.LiveSources != nil && e.LiveSources(source) == nil
}
