package metrics

import "bytes"

// OperationType tells the operation type of a GraphQL request body from
// the first keyword of its "query" document, without decoding the body:
// the HTTP wrapper sees the body only as the handler reads it, and the
// engine does not report the type. "{" is a query. OpUnknown when it
// cannot tell: no "query" string in b (a batch counts as its first
// request), or a document starting with a fragment.
func OperationType(b []byte) int {
	i := queryValue(b)
	if i < 0 {
		return OpUnknown
	}
	for i < len(b) {
		switch c := b[i]; {
		case c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\\' && i+1 < len(b) && (b[i+1] == 'n' || b[i+1] == 'r' || b[i+1] == 't'):
			i += 2
		case c == '#':
			if i = commentEnd(b, i); i < 0 {
				return OpUnknown
			}
		case c == '{':
			return OpQuery
		default:
			return keyword(b[i:])
		}
	}
	return OpUnknown
}

// commentEnd is the index of the escaped line end (\n or \r in the JSON
// string) ending the comment at i, or -1 when the string ends first. Other
// escapes are skipped whole: a comment may hold \" or \\ (and \\n is a
// backslash and an n, not a line end).
func commentEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return -1
		case '\\':
			if i+1 < len(b) && (b[i+1] == 'n' || b[i+1] == 'r') {
				return i
			}
			i++
		}
	}
	return -1
}

// queryValue is the index just inside the string value of the "query" key
// of b's top-level object (of its first element, for a batch), or -1.
// Strings are skipped whole, so a "query" in variables does not count.
func queryValue(b []byte) int {
	top := 1 // the depth of the request object's keys
	if i := skipSpace(b, 0); i < len(b) && b[i] == '[' {
		top = 2
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(b, i+1)
			if end < 0 {
				return -1
			}
			if depth == top && string(b[i+1:end]) == "query" {
				if j := skipSpace(b, end+1); j < len(b) && b[j] == ':' {
					if j = skipSpace(b, j+1); j < len(b) && b[j] == '"' {
						return j + 1
					}
					return -1
				}
			}
			i = end
		}
	}
	return -1
}

// stringEnd is the index of the quote closing the JSON string starting at
// i, or -1.
func stringEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func keyword(b []byte) int {
	for _, k := range [...]struct {
		word string
		op   int
	}{{"query", OpQuery}, {"mutation", OpMutation}, {"subscription", OpSubscription}} {
		if bytes.HasPrefix(b, []byte(k.word)) && (len(b) == len(k.word) || !isNameChar(b[len(k.word)])) {
			return k.op
		}
	}
	return OpUnknown
}

func isNameChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
