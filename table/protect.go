package table

import (
	"errors"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
)

// ErrKeyAction means the policy would mask, encrypt or drop a key field: a
// key must stay unique and findable, so key fields may only be kept or
// tokenized.
var ErrKeyAction = errors.New("a key field must be kept or tokenized")

// Protection applies a table's stored decisions: it protects source records
// before they are stored and reveals (decrypts) stored ones for a holder of
// the field key.
type Protection struct {
	table    string
	key      []string
	prot     *classify.Protector
	plan     *classify.Plan
	fieldKey []byte
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
	prot, err := classify.NewProtector(policy, classify.WithFieldKey(k.Field), classify.WithTokenKey(k.Token))
	if err != nil {
		return nil, err
	}
	p := &Protection{table: table, key: key, prot: prot, plan: prot.Plan(table, fields), fieldKey: k.Field}
	for _, d := range p.plan.Decisions() {
		for _, kf := range key {
			if d.Field.Name == kf && d.Action.Kind != classify.ActionKeep && d.Action.Kind != classify.ActionTokenize {
				return nil, fmt.Errorf("%w: the policy would %s key field %q", ErrKeyAction, d.Action.Kind, kf)
			}
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
	fields := make([]classify.FieldResult, len(info.Fields))
	for i, f := range info.Fields {
		fields[i] = classify.FieldResult{Name: f.Name, Type: classify.Type(f.Type), Level: classify.Level(f.Level)}
	}
	p, err := NewProtection(info.Name, info.Key, policy, fields, k)
	if err != nil {
		return nil, err
	}
	for i, d := range p.Fields() {
		if d.Action != info.Fields[i].Action {
			return nil, fmt.Errorf("%w: stored decision for %q is %s, this build decides %s", ErrMalformed, d.Name, info.Fields[i].Action, d.Action)
		}
	}
	return p, nil
}

// Fields returns the decisions in the stored form.
func (p *Protection) Fields() []repo.TableField {
	ds := p.plan.Decisions()
	out := make([]repo.TableField, len(ds))
	for i, d := range ds {
		f := repo.TableField{Name: d.Field.Name, Type: string(d.Field.Type), Level: int(d.Field.Level), Action: string(d.Action.Kind)}
		if d.Action.Kind == classify.ActionMask {
			m := classify.DefaultMask(d.Field.Type)
			if d.Action.Mask != nil {
				m = *d.Action.Mask
			}
			f.Mask = m.String()
		}
		out[i] = f
	}
	return out
}

// Protect applies the decisions to rec and returns its key and canonical
// encoding (appended to dst).
func (p *Protection) Protect(dst []byte, rec classify.Record) (key, enc []byte, err error) {
	out, err := p.plan.Apply(rec)
	if err != nil {
		return nil, nil, err
	}
	key, err = EncodeKey(nil, out, p.key)
	if err != nil {
		return nil, nil, err
	}
	return key, AppendRecord(dst, out), nil
}

// ProtectKey returns the stored key of the given key field values, as
// Protect would compute it for a record holding them.
func (p *Protection) ProtectKey(values []string) ([]byte, error) {
	if len(values) != len(p.key) {
		return nil, fmt.Errorf("%w: %d key values for %d key fields (%s)", ErrKey, len(values), len(p.key), strings.Join(p.key, ","))
	}
	rec := make(classify.Record, len(values))
	for i, v := range values {
		rec[i] = classify.Field{Name: p.key[i], Value: v}
	}
	out, err := p.plan.Apply(rec)
	if err != nil {
		return nil, err
	}
	return EncodeKey(nil, out, p.key)
}

// Reveal decodes a stored record and decrypts its encrypted fields.
func (p *Protection) Reveal(key, enc []byte) (classify.Record, error) {
	rec, err := DecodeRecord(enc)
	if err != nil {
		return nil, err
	}
	return classify.DecryptRecord(p.fieldKey, rec)
}

// changedFields lists the names of fields that differ between two encoded
// records (present in one only, or with different values).
func changedFields(a, b []byte) ([]string, error) {
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
