package graphql

// takeJoins returns the remote joins the compilers of the current
// mutation root field left in its returning output, and starts afresh
// for the next field. They run once the transaction committed, as a
// query's do: the remote sees committed rows.
func (m *mutator) takeJoins() []*remoteJoin {
	var out []*remoteJoin
	for _, c := range m.compilers {
		out = append(out, c.joins...)
	}
	m.compilers = m.compilers[:0]
	return out
}
