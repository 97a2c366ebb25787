package remotejoin

import (
	"encoding/json"
	"errors"
)

// A small scanner that splits a JSON object or array one level deep
// without decoding its values: an answer is expanded only along join
// paths, and most of its bytes are copied through untouched.

var errBadJSON = errors.New("remote join: malformed JSON in the answer")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"'),
// and whether it holds an escape.
func skipString(b []byte, i int) (int, bool, error) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, errBadJSON
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		end, _, err := skipString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errBadJSON
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}

// split expands n (an object or array) one level.
func (n *node) split(raw []byte) error {
	close := byte('}')
	if raw[0] == '[' {
		close = ']'
	}
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == close {
		return nil
	}
	for {
		var key string
		var rawKey []byte
		if close == '}' {
			if i >= len(raw) || raw[i] != '"' {
				return errBadJSON
			}
			end, escaped, err := skipString(raw, i)
			if err != nil {
				return err
			}
			if escaped {
				if err := json.Unmarshal(raw[i:end], &key); err != nil {
					return errBadJSON
				}
			} else {
				key = string(raw[i+1 : end-1])
			}
			rawKey = raw[i:end]
			if i = skipSpace(raw, end); i >= len(raw) || raw[i] != ':' {
				return errBadJSON
			}
			i = skipSpace(raw, i+1)
		}
		end, err := skipValue(raw, i)
		if err != nil {
			return err
		}
		v := &node{raw: raw[i:end]}
		if close == '}' {
			n.obj = append(n.obj, member{key: key, rawKey: rawKey, val: v})
		} else {
			n.arr = append(n.arr, v)
		}
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return errBadJSON
		}
		if raw[i] == close {
			return nil
		}
		if raw[i] != ',' {
			return errBadJSON
		}
		i = skipSpace(raw, i+1)
	}
}
