package classify

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func collect(t testing.TB, seq func(func(Record, error) bool)) ([]Record, error) {
	t.Helper()
	var out []Record
	for rec, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func values(r Record) []string {
	out := make([]string, len(r))
	for i, f := range r {
		out[i] = f.Value
	}
	return out
}

func TestReadCSV(t *testing.T) {
	in := "\xef\xbb\xbf姓名,金额,备注\r\n" +
		"张三,\"1,234.56\",\"第一行\r\n第二行, 含逗号\"\r\n" +
		"\r\n" +
		"李四,88,\"他说\"\"好\"\"\"\r\n" +
		"王五,,\r\n"
	recs, err := collect(t, readCSVAll(strings.NewReader(in)))
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, []string{"姓名", "金额", "备注"}, recs[0].Names())
	assert.Equal(t, []string{"张三", "1,234.56", "第一行\n第二行, 含逗号"}, values(recs[0]))
	assert.Equal(t, []string{"李四", "88", `他说"好"`}, values(recs[1]))
	assert.Equal(t, []string{"王五", "", ""}, values(recs[2]))
	f, ok := recs[0].Get("金额")
	require.True(t, ok)
	assert.Equal(t, KindString, f.Kind)
}

func TestReadCSVHeaderNames(t *testing.T) {
	recs, err := collect(t, readCSVAll(strings.NewReader("a,,c\n1,2,3")))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "col2", "c"}, recs[0].Names())

	recs, err = collect(t, readCSVAll(strings.NewReader("")))
	require.NoError(t, err)
	assert.Empty(t, recs)

	recs, err = collect(t, Read(strings.NewReader("a\tb\n1\t2,5\n"), TSV))
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2,5"}, values(recs[0]))
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		in   string
		line int
		err  error
	}{
		{"a,b\n1,2\n3,\"open\n4,5\n", 3, ErrUnterminatedQuote},
		{"a,b\n1,2\n3,4,5\n", 3, ErrFieldCount},
		{"a,b\n1,2\n3\n", 3, ErrFieldCount},
		{"a,b\n\"x\"y,2\n", 2, ErrQuote},
		{"a,a\n1,2\n", 1, ErrDuplicateName},
		{"a,b\n1,\xff\n", 2, ErrInvalidUTF8},
		{"a,b\n1,\"multi\nline\"\n1,2,3\n", 4, ErrFieldCount},
	}
	for _, c := range cases {
		_, err := collect(t, readCSVAll(strings.NewReader(c.in)))
		var se *SyntaxError
		require.ErrorAs(t, err, &se, c.in)
		assert.Equal(t, c.line, se.Line, c.in)
		assert.ErrorIs(t, err, c.err, c.in)
	}
	_, err := collect(t, readCSVAll(strings.NewReader("a\n"+strings.Repeat("x", 2000)+"\n"), WithMaxRecordSize(1000)))
	assert.ErrorIs(t, err, ErrTooLong)
	assert.Equal(t, "classify: line 3: unterminated quoted field", (&SyntaxError{Line: 3, Err: ErrUnterminatedQuote}).Error())
}

func TestReadCSVStopsEarly(t *testing.T) {
	n := 0
	for range readCSVAll(strings.NewReader("a\n1\n2\n3\n")) {
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)
}

func TestReadJSONL(t *testing.T) {
	in := `{"id":1,"name":"张三","contact":{"mobile":"13812345678","email":null},"tags":["a","b"],"vip":true,"x":{},"y":[]}` + "\r\n\n" +
		`{"id":2.50,"id":3,"name":"李四"}` + "\n"
	recs, err := collect(t, readJSONLAll(strings.NewReader(in)))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, Record{
		{Name: "id", Value: "1", Kind: KindNumber},
		{Name: "name", Value: "张三"},
		{Name: "contact.mobile", Value: "13812345678"},
		{Name: "contact.email", Kind: KindNull},
		{Name: "tags.0", Value: "a"},
		{Name: "tags.1", Value: "b"},
		{Name: "vip", Value: "true", Kind: KindBool},
		{Name: "x", Value: "{}", Kind: KindEmpty},
		{Name: "y", Value: "[]", Kind: KindEmpty},
	}, recs[0])
	assert.Equal(t, Record{{Name: "id", Value: "3", Kind: KindNumber}, {Name: "name", Value: "李四"}}, recs[1])
	b, err := recs[0].MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"name":"张三","contact.mobile":"13812345678","contact.email":null,"tags.0":"a","tags.1":"b","vip":true,"x":{},"y":[]}`, string(b))
}

func TestReadJSONLErrors(t *testing.T) {
	for in, line := range map[string]int{
		"{\"a\":1}\n{\"a\":\n":            2,
		"{\"a\":1}\n\n[1,2]\n":            3,
		"{\"a\":1} {\"b\":2}\n":           1,
		"{\"a\":1}\n\"str\"\n":            2,
		"{\"a\":1}\n{\"a\":1,}\n":         2,
		"{\"a\":\"\xff\"}\n":              1,
		"{\"a\":1}\n{\"a\":1}\n{\"b\"}\n": 3,
	} {
		_, err := collect(t, readJSONLAll(strings.NewReader(in)))
		var se *SyntaxError
		require.ErrorAs(t, err, &se, in)
		assert.Equal(t, line, se.Line, in)
	}
	_, err := collect(t, readJSONLAll(strings.NewReader("[1]\n")))
	assert.ErrorIs(t, err, ErrNotObject)
}

type address struct {
	City   string `json:"city"`
	Street string
}

type Embedded struct {
	Note string `classify:"remark"`
}

type customer struct {
	Embedded
	ID      int               `json:"id"`
	Name    string            `classify:"name" json:"full_name"`
	Secret  string            `json:"-"`
	Home    *address          `json:"home"`
	Work    *address          `json:"work"`
	Tags    []string          `json:"tags"`
	Since   time.Time         `json:"since"`
	Balance float64           `json:"balance"`
	Extra   map[string]string `json:"extra"`
	private string
}

func TestRecordOf(t *testing.T) {
	c := customer{
		Embedded: Embedded{Note: "vip"},
		ID:       7, Name: "张三", Secret: "pw",
		Home:    &address{City: "北京", Street: "建国路88号"},
		Tags:    []string{"a"},
		Since:   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Balance: 12.5,
		Extra:   map[string]string{"z": "1", "a": "2"},
		private: "x",
	}
	rec, err := RecordOf(&c)
	require.NoError(t, err)
	assert.Equal(t, Record{
		{Name: "remark", Value: "vip"},
		{Name: "id", Value: "7", Kind: KindNumber},
		{Name: "name", Value: "张三"},
		{Name: "home.city", Value: "北京"},
		{Name: "home.Street", Value: "建国路88号"},
		{Name: "work", Kind: KindNull},
		{Name: "tags.0", Value: "a"},
		{Name: "since", Value: "2024-01-02T03:04:05Z"},
		{Name: "balance", Value: "12.5", Kind: KindNumber},
		{Name: "extra.a", Value: "2"},
		{Name: "extra.z", Value: "1"},
	}, rec)

	rec, err = RecordOf(map[string]any{"b": []byte("hi"), "a": map[string]any{"x": nil}})
	require.NoError(t, err)
	assert.Equal(t, Record{{Name: "a.x", Kind: KindNull}, {Name: "b", Value: "aGk="}}, rec)

	_, err = RecordOf(42)
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = RecordOf(map[string]any{"c": make(chan int)})
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = RecordOf(map[int]string{1: "a"})
	assert.ErrorIs(t, err, ErrUnsupported)
	same, err := RecordOf(Record{{Name: "a", Value: "1"}})
	require.NoError(t, err)
	assert.Equal(t, Record{{Name: "a", Value: "1"}}, same)
}

// FuzzReadCSV checks that the reader never panics, that whatever it accepts
// survives a write/read round trip through encoding/csv, and that it agrees
// with encoding/csv on input both accept.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "\xef\xbb\xbfa,b\r\n\"x,y\",\"1\n2\"\r\n", "a\n\"open\n", "a,b\n1\n",
		"a,b\n\"q\"\"q\",3\n", "a,a\n", "\n\na\n\n1\n", "a,b\n\"x\"y,1\n", "a\n5\" screen\n", "\n\n\n\n\n\n\n\n0", "\xef\xa9\xbf\r,\n,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := collect(t, readCSVAll(strings.NewReader(in)))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Line < 1 || se.Line > strings.Count(in, "\n")+1 {
				t.Fatalf("line %d out of range", se.Line)
			}
			return
		}
		if len(recs) == 0 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		require.NoError(t, w.Write(recs[0].Names()))
		for _, r := range recs {
			require.NoError(t, w.Write(values(r)))
		}
		w.Flush()
		again, err := collect(t, readCSVAll(&buf))
		if err != nil {
			// encoding/csv writes a lone empty field as an empty line,
			// which a CSV reader cannot tell from a blank line.
			if len(recs[0]) == 1 {
				return
			}
			t.Fatalf("round trip failed: %v", err)
		}
		if len(recs[0]) == 1 {
			return
		}
		require.Equal(t, len(recs), len(again))
		for i := range recs {
			require.Equal(t, values(recs[i]), values(again[i]))
		}

		// Differential check against encoding/csv.
		if strings.HasPrefix(in, "\xef\xbb\xbf") || strings.Contains(in, "\r") {
			return
		}
		std := csv.NewReader(strings.NewReader(in))
		all, err := std.ReadAll()
		if err != nil || len(all) != len(recs)+1 {
			return
		}
		for i, r := range recs {
			require.Equal(t, all[i+1], values(r))
		}
	})
}

// FuzzReadJSONL checks that the reader never panics, reports syntax errors
// with a line, and that accepted records marshal back to valid JSON.
func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":{"c":[1,"x",null,true]}}` + "\n", "{}\n\n{\"a\":\"\\u4e2d\"}", "[1]\n", "{\"a\":\n", `{"a":1}{"b":2}`, `{"a":{"a":{"a":{}}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := collect(t, readJSONLAll(strings.NewReader(in)))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *SyntaxError with a line", err)
			}
			return
		}
		for _, r := range recs {
			b, err := r.MarshalJSON()
			require.NoError(t, err)
			again, err := collect(t, readJSONLAll(bytes.NewReader(b)))
			require.NoError(t, err)
			if len(again) == 1 {
				// Flattened names may contain dots, so the re-read record has
				// the same number of fields or fewer (when names collide).
				require.LessOrEqual(t, len(again[0]), len(r))
			}
		}
	})
}
