package classify

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of token and field keys (32 bytes).
const KeySize = 32

// Errors returned by [NewProtector], [Decrypt] and [DecryptRecord].
var (
	ErrNoKey        = errors.New("classify: the policy needs a key that was not given")
	ErrKeySize      = errors.New("classify: keys must be 32 bytes")
	ErrNotEncrypted = errors.New("classify: value is not an encrypted value")
	ErrDecrypt      = errors.New("classify: value does not decrypt (wrong key or damaged)")
)

// Prefixes of protected values.
const (
	TokenPrefix     = "tok:"
	EncryptedPrefix = "enc:v1:"
)

// encryptAAD binds ciphertexts to this format version.
const encryptAAD = "custodia/classify/enc/v1"

// ProtectOption configures a [Protector].
type ProtectOption func(*Protector) error

// WithTokenKey sets the 32-byte key of keyed tokenization. Tokens made with
// the same key are equal for equal values, across tables.
func WithTokenKey(k []byte) ProtectOption {
	return func(p *Protector) error {
		if len(k) != KeySize {
			return ErrKeySize
		}
		p.tokenKey = append([]byte(nil), k...)
		return nil
	}
}

// WithFieldKey sets the 32-byte key under which field values are encrypted
// (XChaCha20-Poly1305). The record-backup layer derives it from the
// repository master key.
func WithFieldKey(k []byte) ProtectOption {
	return func(p *Protector) error {
		if len(k) != KeySize {
			return ErrKeySize
		}
		aead, err := chacha20poly1305.NewX(k)
		if err != nil {
			return err
		}
		p.aead = aead
		p.nonceKey = deriveNonceKey(k)
		return nil
	}
}

// WithRandomNonces makes encryption draw a random nonce for every value.
// By default the nonce is a keyed hash of the value (a synthetic IV), so
// that equal values encrypt equally and unchanged records stay unchanged
// from one backup to the next, which keeps deduplication working; this
// reveals which encrypted values are equal, as tokenization does.
func WithRandomNonces() ProtectOption {
	return func(p *Protector) error {
		p.random = true
		return nil
	}
}

func deriveNonceKey(k []byte) []byte {
	out := make([]byte, KeySize)
	blake3.DeriveKey("custodia classify v1 encryption nonce", k, out)
	return out
}

// Protector applies a policy to records. It is safe for concurrent use.
type Protector struct {
	policy   *Policy
	tokenKey []byte
	aead     cipher.AEAD
	nonceKey []byte
	random   bool
}

// NewProtector returns a protector for policy (nil means [DefaultPolicy]).
// It fails with ErrNoKey if the policy can ask for tokenization or
// encryption and the corresponding key was not given.
func NewProtector(policy *Policy, opts ...ProtectOption) (*Protector, error) {
	if policy == nil {
		policy = DefaultPolicy()
	}
	p := &Protector{policy: policy}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if policy.uses(ActionTokenize) && p.tokenKey == nil {
		return nil, fmt.Errorf("%w: tokenize needs WithTokenKey", ErrNoKey)
	}
	if policy.uses(ActionEncrypt) && p.aead == nil {
		return nil, fmt.Errorf("%w: encrypt needs WithFieldKey", ErrNoKey)
	}
	return p, nil
}

// Policy returns the protector's policy.
func (p *Protector) Policy() *Policy { return p.policy }

// Plan is the set of decisions for one table, made from a profile.
type Plan struct {
	p      *Protector
	table  string
	fields map[string]FieldDecision
	order  []string
}

// FieldDecision is what a plan does with one field.
type FieldDecision struct {
	Field  FieldResult
	Action Action
}

// Plan decides an action for each profiled field of table.
func (p *Protector) Plan(table string, fields []FieldResult) *Plan {
	pl := &Plan{p: p, table: table, fields: make(map[string]FieldDecision, len(fields))}
	for _, f := range fields {
		pl.fields[f.Name] = FieldDecision{Field: f, Action: p.policy.Decide(table, f.Name, f.Type, f.Level)}
		pl.order = append(pl.order, f.Name)
	}
	return pl
}

// Decisions returns the plan's decisions in field order.
func (pl *Plan) Decisions() []FieldDecision {
	out := make([]FieldDecision, 0, len(pl.order))
	for _, n := range pl.order {
		out = append(out, pl.fields[n])
	}
	return out
}

// decision returns the decision for a field; a field the profile did not
// see is classified from its name and this one value.
func (pl *Plan) decision(f Field) FieldDecision {
	if d, ok := pl.fields[f.Name]; ok {
		return d
	}
	st := &fieldStats{name: f.Name, header: HeaderType(f.Name), stride: 1}
	st.observe(f.Value, 0)
	r := st.result()
	return FieldDecision{Field: r, Action: pl.p.policy.Decide(pl.table, f.Name, r.Type, r.Level)}
}

// Apply protects one record. Null values are left as they are (a dropped
// field is removed even when null); a masked, tokenized or encrypted value
// becomes a string.
func (pl *Plan) Apply(rec Record) (Record, error) {
	out := make(Record, 0, len(rec))
	for _, f := range rec {
		d := pl.decision(f)
		if d.Action.Kind == ActionDrop {
			continue
		}
		if f.Kind == KindNull || f.Kind == KindEmpty || IsNull(f.Value) {
			out = append(out, f)
			continue
		}
		switch d.Action.Kind {
		case ActionKeep:
		case ActionMask:
			m := DefaultMask(d.Field.Type)
			if d.Action.Mask != nil {
				m = *d.Action.Mask
			}
			f = Field{Name: f.Name, Value: m.Apply(f.Value), Kind: KindString}
		case ActionTokenize:
			f = Field{Name: f.Name, Value: pl.p.Token(f.Value), Kind: KindString}
		case ActionEncrypt:
			v, err := pl.p.encrypt(f)
			if err != nil {
				return nil, fmt.Errorf("classify: field %q: %w", f.Name, err)
			}
			f = Field{Name: f.Name, Value: v, Kind: KindString}
		}
		out = append(out, f)
	}
	return out, nil
}

// Token returns the keyed token of a value: "tok:" and 32 lower-case hex
// digits, the first 16 bytes of BLAKE3 keyed with the token key over the
// value's bytes. It returns "" if the protector has no token key.
func (p *Protector) Token(v string) string {
	if p.tokenKey == nil {
		return ""
	}
	h, _ := blake3.NewKeyed(p.tokenKey)
	_, _ = h.WriteString(v)
	var sum [32]byte
	h.Sum(sum[:0])
	return TokenPrefix + hex.EncodeToString(sum[:16])
}

// encrypt returns "enc:v1:" + base64url(nonce || XChaCha20-Poly1305(kind || value)).
func (p *Protector) encrypt(f Field) (string, error) {
	if p.aead == nil {
		return "", ErrNoKey
	}
	pt := make([]byte, 0, 1+len(f.Value))
	pt = append(pt, kindByte(f.Kind))
	pt = append(pt, f.Value...)
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(pt)+chacha20poly1305.Overhead)
	if p.random {
		if _, err := rand.Read(nonce); err != nil {
			return "", err
		}
	} else {
		h, _ := blake3.NewKeyed(p.nonceKey)
		_, _ = h.Write(pt)
		var sum [32]byte
		h.Sum(sum[:0])
		copy(nonce, sum[:])
	}
	ct := p.aead.Seal(nonce, nonce, pt, []byte(encryptAAD))
	return EncryptedPrefix + base64.RawURLEncoding.EncodeToString(ct), nil
}

func kindByte(k Kind) byte {
	switch k {
	case KindNumber:
		return 'n'
	case KindBool:
		return 'b'
	}
	return 's'
}

// Decrypt reverses the encrypt action: given the field key and a value
// written by a [Protector] ("enc:v1:..."), it returns the original value
// and its kind. It fails with ErrNotEncrypted for other strings and
// ErrDecrypt when the key is wrong or the value was altered.
func Decrypt(fieldKey []byte, v string) (string, Kind, error) {
	if len(fieldKey) != KeySize {
		return "", 0, ErrKeySize
	}
	if !strings.HasPrefix(v, EncryptedPrefix) {
		return "", 0, ErrNotEncrypted
	}
	ct, err := base64.RawURLEncoding.DecodeString(v[len(EncryptedPrefix):])
	if err != nil || len(ct) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+1 {
		return "", 0, ErrDecrypt
	}
	aead, err := chacha20poly1305.NewX(fieldKey)
	if err != nil {
		return "", 0, err
	}
	nonce, ct := ct[:chacha20poly1305.NonceSizeX], ct[chacha20poly1305.NonceSizeX:]
	pt, err := aead.Open(nil, nonce, ct, []byte(encryptAAD))
	if err != nil {
		return "", 0, ErrDecrypt
	}
	var k Kind
	switch pt[0] {
	case 's':
		k = KindString
	case 'n':
		k = KindNumber
	case 'b':
		k = KindBool
	default:
		return "", 0, ErrDecrypt
	}
	return string(pt[1:]), k, nil
}

// DecryptRecord decrypts every field of rec whose value starts with
// "enc:v1:", restoring its kind. A field that has the prefix but does not
// decrypt is an error naming the field.
func DecryptRecord(fieldKey []byte, rec Record) (Record, error) {
	out := make(Record, len(rec))
	for i, f := range rec {
		out[i] = f
		if f.Kind != KindString || !strings.HasPrefix(f.Value, EncryptedPrefix) {
			continue
		}
		v, k, err := Decrypt(fieldKey, f.Value)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		out[i] = Field{Name: f.Name, Value: v, Kind: k}
	}
	return out, nil
}

// Stream profiles the first records of recs (as many as the sample size of
// opts, default DefaultSampleSize, held in memory), makes a plan for table
// from them, and returns it with the protected stream of all records. An
// error while reading the sample is returned at once; later errors end the
// stream. The caller must range over the returned sequence (breaking out
// early is fine): until then the input iterator stays suspended.
func (p *Protector) Stream(ctx context.Context, table string, recs iter.Seq2[Record, error], opts ...Option) (*Plan, iter.Seq2[Record, error], error) {
	prof := NewProfiler(opts...)
	limit := prof.cfg.sample
	if limit <= 0 {
		limit = DefaultSampleSize
	}
	next, stop := iter.Pull2(recs)
	var buf []Record
	for len(buf) < limit {
		rec, err, ok := next()
		if !ok {
			break
		}
		if err != nil {
			stop()
			return nil, nil, err
		}
		if err := ctx.Err(); err != nil {
			stop()
			return nil, nil, err
		}
		prof.ObserveRecord(rec)
		buf = append(buf, rec)
	}
	plan := p.Plan(table, prof.Result())
	seq := func(yield func(Record, error) bool) {
		defer stop()
		for i, rec := range buf {
			buf[i] = nil
			out, err := plan.Apply(rec)
			if !yield(out, err) || err != nil {
				return
			}
		}
		for n := 0; ; n++ {
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
			}
			rec, err, ok := next()
			if !ok {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			out, err := plan.Apply(rec)
			if !yield(out, err) || err != nil {
				return
			}
		}
	}
	return plan, seq, nil
}

// ProtectRecords is [Protector.Stream] without the plan: the protected
// record stream, ready for record backup. Errors, including those of the
// sample, come through the stream.
func (p *Protector) ProtectRecords(ctx context.Context, table string, recs iter.Seq2[Record, error], opts ...Option) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		_, seq, err := p.Stream(ctx, table, recs, opts...)
		if err != nil {
			yield(nil, err)
			return
		}
		for rec, err := range seq {
			if !yield(rec, err) {
				return
			}
		}
	}
}
