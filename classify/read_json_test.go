package classify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readJSONAll(t testing.TB, in string, opts ...Option) ([]Record, error) {
	return collect(t, Read(strings.NewReader(in), JSON, opts...))
}

func TestReadJSONArray(t *testing.T) {
	in := `[
  {"fphm": "24442000000123456789", "je": 1234.50, "buyer": {"name": "张三", "tel": "13812345678"}},
  {"fphm": "24442000000123456790", "je": 88, "items": [{"mc": "咨询费"}, {"mc": "服务费"}], "ok": true, "bz": null}
]`
	recs, err := readJSONAll(t, in)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"fphm", "je", "buyer.name", "buyer.tel"}, recs[0].Names())
	assert.Equal(t, Field{Name: "je", Value: "1234.50", Kind: KindNumber}, recs[0][1])
	assert.Equal(t, []string{"fphm", "je", "items.0.mc", "items.1.mc", "ok", "bz"}, recs[1].Names())
	assert.Equal(t, KindNull, recs[1][5].Kind)

	recs, err = readJSONAll(t, "  [ ]  \n")
	require.NoError(t, err)
	assert.Empty(t, recs)
	recs, err = readJSONAll(t, "")
	require.NoError(t, err)
	assert.Empty(t, recs)
}

func TestReadJSONDocument(t *testing.T) {
	in := "{\n \"invoice\": {\"no\": \"24442000000123456789\", \"date\": \"2024-03-15\"},\n \"items\": [{\"name\": \"咨询费\", \"amount\": \"100.00\"}]\n}\n"
	recs, err := readJSONAll(t, in)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, []string{"invoice.no", "invoice.date", "items.0.name", "items.0.amount"}, recs[0].Names())

	// The profiler reads documents too.
	p := NewProfiler()
	require.NoError(t, p.Read(t.Context(), strings.NewReader(in), JSON))
	assert.Len(t, p.Result(), 4)
}

func TestReadJSONErrors(t *testing.T) {
	cases := []struct {
		in   string
		line int
		err  error
		msg  string
	}{
		{in: "[1]", line: 1, err: ErrNotObject},
		{in: "[{\"a\":1},\n{\"a\":2},\n{\"a\":", line: 3, msg: "unexpected end of JSON"},
		{in: "\"x\"", line: 1, msg: "want a JSON array of objects or one object"},
		{in: "[{}]\n\n[]", line: 3, msg: "extra data"},
		{in: "{\"a\":1} 2", line: 1, msg: "extra data"},
		{in: "[{\"a\":\"\xff\"}]", line: 1, err: ErrInvalidUTF8},
		{in: "[\n{\"a\": tru}]", line: 2, msg: "invalid character"},
	}
	for _, c := range cases {
		_, err := readJSONAll(t, c.in)
		var se *SyntaxError
		require.ErrorAs(t, err, &se, c.in)
		assert.Equal(t, c.line, se.Line, c.in)
		if c.err != nil {
			assert.ErrorIs(t, err, c.err, c.in)
		}
		assert.Contains(t, err.Error(), c.msg, c.in)
	}
	big := "[" + strings.Repeat(`{"a":"`+strings.Repeat("x", 100)+`"},`, 5) + `{"a":"` + strings.Repeat("y", 5000) + `"}]`
	recs, err := readJSONAll(t, big, WithMaxRecordSize(1000))
	assert.ErrorIs(t, err, ErrTooLong)
	assert.Len(t, recs, 5, "the records before the long one are read")
}

// FuzzReadJSON checks that the JSON document reader never panics, reads
// only valid JSON, and names a line inside the input.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`[{"a":1},{"b":{"c":[1,2]}}]`, `{"x":{"y":"z"}}`, "[\n{\"a\":", "[1]", `"s"`, "", "[]", "{\"a\":\"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var err error
		n := 0
		for rec, e := range Read(strings.NewReader(in), JSON, WithMaxRecordSize(1<<16)) {
			if e != nil {
				err = e
				break
			}
			n++
			if _, e := rec.MarshalJSON(); e != nil {
				t.Fatalf("record does not marshal: %v", e)
			}
		}
		if err == nil {
			if strings.TrimSpace(in) != "" && !json.Valid([]byte(in)) {
				t.Fatalf("invalid JSON read without error: %q", in)
			}
			return
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("error is not a *SyntaxError: %v", err)
		}
		if se.Line < 1 || se.Line > strings.Count(in, "\n")+1 {
			t.Fatalf("line %d outside the input (%d lines)", se.Line, strings.Count(in, "\n")+1)
		}
	})
}
