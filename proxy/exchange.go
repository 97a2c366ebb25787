package proxy

import "net/http"

// copyHeaders adds the headers a root source set for the client's response
// (Set-Cookie from an action handler) to it.
func copyHeaders(dst, src http.Header) {
	for name, vals := range src {
		for _, v := range vals {
			dst.Add(name, v)
		}
	}
}
