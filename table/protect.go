package table

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
)

// ErrKeyAction means the policy would mask, encrypt or drop a key field: a
// key must stay unique and findable, so key fields may only be kept or
// tokenized.
var ErrKeyAction = errors.New("a key field must be kept or tokenized")

// Protection applies a table's decisions (a classify.Plan): it protects
// source records before they are stored and reveals (decrypts) stored ones
// for a holder of the field key. It is safe for concurrent use.
type Protection struct {
	key      []string
	tokenize []bool // per key field
	prot     *classify.Protector
	plan     *classify.Plan
	fieldKey []byte
	sealed   sync.Pool // of *classify.Sealed, one per worker at a time
}

// Keys are the secrets of protection (repo.Repository.TableKeys).
type Keys struct {
	Field, Token []byte
}

// ParsePolicy parses a policy file's text; empty text is the default
// policy.
func ParsePolicy(text string) (*classify.Policy, error) {
	if strings.TrimSpace(text) == "" {
		return classify.DefaultPolicy(), nil
	}
	return classify.ParsePolicy(strings.NewReader(text))
}

// NewProtection makes the decisions for table from profiled fields under
// policy, and checks that every key field is kept or tokenized.
func NewProtection(table string, key []string, policy *classify.Policy, fields []classify.FieldResult, k Keys) (*Protection, error) {
	return newProtection(key, policy, policy.Plan(table, fields), k)
}

func newProtection(key []string, policy *classify.Policy, plan *classify.Plan, k Keys) (*Protection, error) {
	prot, err := classify.NewProtector(policy, classify.WithFieldKey(k.Field), classify.WithTokenKey(k.Token))
	if err != nil {
		return nil, err
	}
	p := &Protection{key: key, tokenize: make([]bool, len(key)), prot: prot, plan: plan, fieldKey: k.Field}
	for i, kf := range key {
		d, ok := plan.Decision(kf)
		if !ok {
			return nil, fmt.Errorf("%w: no field %q in the records profiled", ErrKey, kf)
		}
		switch d.Action.Kind {
		case classify.ActionKeep:
		case classify.ActionTokenize:
			p.tokenize[i] = true
		default:
			return nil, fmt.Errorf("%w: the policy would %s key field %q", ErrKeyAction, d.Action.Kind, kf)
		}
	}
	return p, nil
}

// StoredProtection rebuilds the protection stored with a table snapshot, so
// that unchanged records protect to the same bytes.
func StoredProtection(info *repo.TableInfo, k Keys) (*Protection, error) {
	policy, err := ParsePolicy(info.Policy)
	if err != nil {
		return nil, fmt.Errorf("%w: stored policy: %v", ErrMalformed, err)
	}
	plan, err := StoredPlan(info)
	if err != nil {
		return nil, err
	}
	return newProtection(info.Key, policy, plan, k)
}

// StoredPlan returns the decisions stored with a table snapshot.
func StoredPlan(info *repo.TableInfo) (*classify.Plan, error) {
	var plan classify.Plan
	if err := json.Unmarshal(info.Plan, &plan); err != nil {
		return nil, fmt.Errorf("%w: stored decisions: %v", ErrMalformed, err)
	}
	if plan.Table != info.Name {
		return nil, fmt.Errorf("%w: decisions of table %q stored with table %q", ErrMalformed, plan.Table, info.Name)
	}
	return &plan, nil
}

// Plan returns the decisions.
func (p *Protection) Plan() *classify.Plan { return p.plan }

// PlanJSON returns the decisions in their stored form.
func (p *Protection) PlanJSON() ([]byte, error) { return json.Marshal(p.plan) }

// Key returns the stored key of a source record: its key fields, kept or
// tokenized.
func (p *Protection) Key(dst []byte, rec classify.Record) ([]byte, error) {
	for i, name := range p.key {
		f, ok := rec.Get(name)
		if !ok {
			return nil, fmt.Errorf("%w: no field %q", ErrKey, name)
		}
		if f.Kind == classify.KindNull || f.Value == "" {
			return nil, fmt.Errorf("%w: field %q is empty", ErrKey, name)
		}
		v := f.Value
		if p.tokenize[i] {
			v = p.prot.Token(v)
		}
		if dst = appendKeyPart(dst, v); dst == nil {
			return nil, fmt.Errorf("%w: field %q is longer than %d bytes", ErrKey, name, MaxKeyField)
		}
	}
	return dst, nil
}

// Protect applies the decisions to rec and returns its stored key and
// canonical encoding (appended to dst). Encrypted values are bound to the
// table, the field and the stored key (as a string of its bytes).
func (p *Protection) Protect(dst []byte, rec classify.Record) (key, enc []byte, err error) {
	buf, keyLen, err := p.Append(nil, rec)
	if err != nil {
		return nil, nil, err
	}
	return buf[:keyLen:keyLen], append(dst, buf[keyLen:]...), nil
}

// Append appends rec's stored key and then its protected canonical
// encoding (that of [AppendRecord], encrypted values raw) to dst, and
// returns dst with the key's length.
func (p *Protection) Append(dst []byte, rec classify.Record) ([]byte, int, error) {
	start := len(dst)
	if dst == nil {
		dst = make([]byte, 0, 1024)
	}
	dst, err := p.Key(dst, rec)
	if err != nil {
		return nil, 0, err
	}
	keyLen := len(dst) - start
	s, _ := p.sealed.Get().(*classify.Sealed)
	if s == nil {
		s = new(classify.Sealed)
	}
	defer p.sealed.Put(s)
	if err := p.prot.ProtectSealed(s, p.plan, string(dst[start:]), rec); err != nil {
		return nil, 0, err
	}
	return appendSealed(dst, s), keyLen, nil
}

// appendSealed appends the canonical encoding of a protected record.
func appendSealed(dst []byte, s *classify.Sealed) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s.Fields)))
	for i, f := range s.Fields {
		dst = appendField(dst, f, s.Raw(i))
	}
	return dst
}

// ProtectKey returns the stored key of the given key field values.
func (p *Protection) ProtectKey(values []string) ([]byte, error) {
	if len(values) != len(p.key) {
		return nil, fmt.Errorf("%w: %d key values for %d key fields (%s)", ErrKey, len(values), len(p.key), strings.Join(p.key, ","))
	}
	rec := make(classify.Record, len(values))
	for i, v := range values {
		rec[i] = classify.Field{Name: p.key[i], Value: v}
	}
	return p.Key(nil, rec)
}

// Reveal decodes a stored record and decrypts its encrypted fields.
func (p *Protection) Reveal(key, enc []byte) (classify.Record, error) {
	rec, err := DecodeRecord(enc)
	if err != nil {
		return nil, err
	}
	return p.plan.Decrypt(p.fieldKey, string(key), rec)
}

// ChangedFields lists the names of fields that differ between two encoded
// records (present in one only, or with different values), never values.
func ChangedFields(a, b []byte) ([]string, error) {
	ra, err := DecodeRecord(a)
	if err != nil {
		return nil, err
	}
	rb, err := DecodeRecord(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range ra {
		g, ok := rb.Get(f.Name)
		if !ok || g.Value != f.Value || g.Kind != f.Kind {
			out = append(out, f.Name)
		}
	}
	for _, g := range rb {
		if _, ok := ra.Get(g.Name); !ok {
			out = append(out, g.Name)
		}
	}
	return out, nil
}
