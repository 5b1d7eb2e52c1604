package classify

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Kind is the JSON kind of a field value, kept so that a protected record can
// be written back faithfully.
type Kind uint8

// The kinds of values. CSV values are always KindString.
const (
	KindString Kind = iota
	KindNumber      // Value holds the number literal as written
	KindBool        // Value is "true" or "false"
	KindNull        // Value is ""
	KindEmpty       // an empty JSON object or array; Value is "{}" or "[]"
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindNull:
		return "null"
	case KindEmpty:
		return "empty"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Field is one named value of a record. Nested JSON objects and arrays are
// flattened: {"a":{"b":1},"c":[true]} gives the fields "a.b" and "c.0".
type Field struct {
	Name  string
	Value string
	Kind  Kind
}

// Record is an ordered list of fields, in the order of the CSV header or of
// the JSON keys as written.
type Record []Field

// Get returns the field called name.
func (r Record) Get(name string) (Field, bool) {
	for _, f := range r {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Names returns the field names in order.
func (r Record) Names() []string {
	out := make([]string, len(r))
	for i, f := range r {
		out[i] = f.Name
	}
	return out
}

// MarshalJSON writes the record as one flat JSON object with the fields in
// order: strings as JSON strings, numbers and booleans as written, nulls as
// null, empty containers as {} or [].
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		switch f.Kind {
		case KindNumber, KindBool, KindEmpty:
			if !json.Valid([]byte(f.Value)) {
				return nil, fmt.Errorf("classify: field %q: %s value is not valid JSON", f.Name, f.Kind)
			}
			b.WriteString(f.Value)
		case KindNull:
			b.WriteString("null")
		default:
			v, err := json.Marshal(f.Value)
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// RecordOf turns a Go value into a Record: a Record is returned as is; a map
// with string keys gives its entries sorted by key; a struct gives its
// exported fields in declaration order, named by a `classify:"name"` tag,
// else by the name of a `json` tag, else by the Go field name ("-" skips a
// field; anonymous embedded structs are inlined). Nested maps, structs,
// slices and arrays are flattened with dots; time.Time becomes RFC 3339,
// []byte base64, encoding.TextMarshaler its text, nil a null.
func RecordOf(v any) (Record, error) {
	if r, ok := v.(Record); ok {
		return r, nil
	}
	var rec Record
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, errorf("%w: nil %s", ErrUnsupported, rv.Type())
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Map, reflect.Struct:
	default:
		return nil, errorf("%w: %T is not a map or struct", ErrUnsupported, v)
	}
	if err := flattenValue(&rec, "", rv, 0); err != nil {
		return nil, err
	}
	return rec, nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func flattenValue(rec *Record, name string, v reflect.Value, depth int) error {
	if depth > 64 {
		return errorf("%w: nesting deeper than 64 at %q", ErrUnsupported, name)
	}
	if !v.IsValid() {
		*rec = append(*rec, Field{Name: name, Kind: KindNull})
		return nil
	}
	if v.Type() == timeType {
		*rec = append(*rec, Field{Name: name, Value: v.Interface().(time.Time).Format(time.RFC3339Nano)})
		return nil
	}
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.Type().Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return errorf("field %q: %w", name, err)
		}
		*rec = append(*rec, Field{Name: name, Value: string(b)})
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			*rec = append(*rec, Field{Name: name, Kind: KindNull})
			return nil
		}
		return flattenValue(rec, name, v.Elem(), depth+1)
	case reflect.String:
		*rec = append(*rec, Field{Name: name, Value: v.String()})
	case reflect.Bool:
		*rec = append(*rec, Field{Name: name, Value: strconv.FormatBool(v.Bool()), Kind: KindBool})
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		*rec = append(*rec, Field{Name: name, Value: strconv.FormatInt(v.Int(), 10), Kind: KindNumber})
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		*rec = append(*rec, Field{Name: name, Value: strconv.FormatUint(v.Uint(), 10), Kind: KindNumber})
	case reflect.Float32, reflect.Float64:
		*rec = append(*rec, Field{Name: name, Value: strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()), Kind: KindNumber})
	case reflect.Slice:
		if v.IsNil() {
			*rec = append(*rec, Field{Name: name, Kind: KindNull})
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*rec = append(*rec, Field{Name: name, Value: base64.StdEncoding.EncodeToString(v.Bytes())})
			return nil
		}
		fallthrough
	case reflect.Array:
		if v.Len() == 0 {
			*rec = append(*rec, Field{Name: name, Value: "[]", Kind: KindEmpty})
		}
		for i := 0; i < v.Len(); i++ {
			if err := flattenValue(rec, join(name, strconv.Itoa(i)), v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return errorf("%w: map key type %s at %q", ErrUnsupported, v.Type().Key(), name)
		}
		if v.IsNil() {
			*rec = append(*rec, Field{Name: name, Kind: KindNull})
			return nil
		}
		if v.Len() == 0 {
			*rec = append(*rec, Field{Name: name, Value: "{}", Kind: KindEmpty})
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch {
			case a.String() < b.String():
				return -1
			case a.String() > b.String():
				return 1
			}
			return 0
		})
		for _, k := range keys {
			if err := flattenValue(rec, join(name, k.String()), v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			fname, skip := structFieldName(sf)
			if skip {
				continue
			}
			if sf.Anonymous && fname == "" && indirectKind(sf.Type) == reflect.Struct {
				if fv := v.Field(i); fv.Kind() == reflect.Pointer && fv.IsNil() {
					continue
				}
				if err := flattenValue(rec, name, v.Field(i), depth+1); err != nil {
					return err
				}
				continue
			}
			if fname == "" {
				fname = sf.Name
			}
			if err := flattenValue(rec, join(name, fname), v.Field(i), depth+1); err != nil {
				return err
			}
		}
	default:
		return errorf("%w: %s at %q", ErrUnsupported, v.Type(), name)
	}
	return nil
}

func indirectKind(t reflect.Type) reflect.Kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind()
}

// structFieldName returns the tag name ("" if none) and whether to skip.
func structFieldName(sf reflect.StructField) (string, bool) {
	for _, key := range []string{"classify", "json"} {
		tag, ok := sf.Tag.Lookup(key)
		if !ok {
			continue
		}
		name, _, _ := bytes.Cut([]byte(tag), []byte(","))
		if string(name) == "-" {
			return "", true
		}
		if len(name) > 0 {
			return string(name), false
		}
	}
	return "", false
}
