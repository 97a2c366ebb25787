package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// jobj is a JSON object with its keys in order: a handler's output keeps
// its key order where it is passed through (json and custom scalars).
type jobj []jfield

type jfield struct {
	key string
	val any
}

func (o jobj) get(key string) (any, bool) {
	for _, f := range o {
		if f.key == key {
			return f.val, true
		}
	}
	return nil, false
}

// decode reads JSON into nil, bool, string, json.Number, []any and jobj.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("decode handler response: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := jobj{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, fmt.Errorf("decode handler response: %w", err)
				}
				k, _ := kt.(string)
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				obj = append(obj, jfield{k, v})
			}
			_, err := d.Token()
			return obj, err
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := d.Token()
			return list, err
		}
		return nil, fmt.Errorf("decode handler response: unexpected %v", t)
	default:
		return t, nil
	}
}

// plain turns a decoded value into maps for templates (Kriti).
func plain(v any) any {
	switch v := v.(type) {
	case jobj:
		m := make(map[string]any, len(v))
		for _, f := range v {
			m[f.key] = plain(f.val)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plain(x)
		}
		return out
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	}
	return v
}

// encode writes a value back as JSON, objects in their order; a hole is
// filled from its relationship group's result.
func encode(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case jobj:
		buf.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(f.key)
			buf.Write(k)
			buf.WriteByte(':')
			encode(buf, f.val)
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			encode(buf, x)
		}
		buf.WriteByte(']')
	case json.Number:
		buf.WriteString(v.String())
	case *hole:
		if r := v.value(); len(r) > 0 {
			buf.Write(r)
		} else {
			buf.WriteString("null")
		}
	default:
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		buf.Write(b)
	}
}
