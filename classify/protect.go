package classify

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"
)

// encryptContext starts the associated data of every encrypted value; the
// rest binds the value to its place (see [Protector.Protect]).
const encryptContext = "custodia/classify/enc/v2"

// Protector applies a policy's decisions to records. It is safe for
// concurrent use.
type Protector struct {
	policy   *Policy
	tokenKey []byte
	aead     cipher.AEAD
	nonceKey []byte
	random   bool

	// tokenHash and nonceHash hold keyed BLAKE3 hashers ready to reuse:
	// keying a new hasher per value cost most of a table backup's CPU.
	tokenHash, nonceHash *sync.Pool
}

// keyedPool returns a pool of BLAKE3 hashers keyed with key (32 bytes).
func keyedPool(key []byte) *sync.Pool {
	proto, err := blake3.NewKeyed(key)
	if err != nil {
		panic(err) // the key size was checked
	}
	return &sync.Pool{New: func() any { return proto.Clone() }}
}

// keyedSum writes the keyed BLAKE3 of the parts into sum, with a hasher
// from pool.
func keyedSum(pool *sync.Pool, sum *[32]byte, parts ...[]byte) {
	h := pool.Get().(*blake3.Hasher)
	for _, b := range parts {
		_, _ = h.Write(b)
	}
	h.Sum(sum[:0])
	h.Reset()
	pool.Put(h)
}

// NewProtector returns a protector for policy (nil means [DefaultPolicy]),
// configured with [WithFieldKey], [WithTokenKey] and [WithRandomNonces]. It
// fails with ErrNoKey if the policy can ask for tokenization or encryption
// and the corresponding key was not given, and with ErrKeySize for a key
// of the wrong size.
func NewProtector(policy *Policy, opts ...Option) (*Protector, error) {
	if policy == nil {
		policy = DefaultPolicy()
	}
	cfg := newConfig(opts)
	if cfg.err != nil {
		return nil, errorf("%w", cfg.err)
	}
	p := &Protector{policy: policy, tokenKey: cfg.tokenKey, random: cfg.random}
	if cfg.tokenKey != nil {
		p.tokenHash = keyedPool(cfg.tokenKey)
	}
	if cfg.fieldKey != nil {
		p.aead, p.nonceKey = newFieldCipher(cfg.fieldKey)
		p.nonceHash = keyedPool(p.nonceKey)
	}
	if err := p.needKeys(policy.uses); err != nil {
		return nil, err
	}
	return p, nil
}

// needKeys fails with ErrNoKey if an action uses reports as used needs a
// key the protector lacks.
func (p *Protector) needKeys(uses func(ActionKind) bool) error {
	if uses(ActionTokenize) && p.tokenKey == nil {
		return errorf("%w: tokenize needs a token key", ErrNoKey)
	}
	if uses(ActionEncrypt) && p.aead == nil {
		return errorf("%w: encrypt needs a field key", ErrNoKey)
	}
	return nil
}

func newFieldCipher(k []byte) (cipher.AEAD, []byte) {
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		panic(err) // the key size was checked
	}
	nonceKey := make([]byte, KeySize)
	blake3.DeriveKey("custodia classify v2 encryption nonce", k, nonceKey)
	return aead, nonceKey
}

// Policy returns the protector's policy.
func (p *Protector) Policy() *Policy { return p.policy }

// Protect applies plan to one record of plan.Table whose record key (its
// primary key, as the caller writes it; "" for a table without one) is
// key, and returns the protected record: kept fields as they are, masked,
// tokenized and encrypted ones as strings, dropped ones removed. Null
// values are left as they are (a dropped field is removed even when null).
// A field the plan does not name is classified from its name and this one
// value and decided by the protector's policy.
//
// An encrypted value is bound to the table, the field name and the record
// key: moved to another field or record it no longer decrypts, so values
// cannot be swapped undetected. Protect fails with ErrNoKey if the plan
// asks for a key the protector lacks.
func (p *Protector) Protect(plan *Plan, key string, rec Record) (Record, error) {
	out := make(Record, 0, len(rec))
	var sc sealScratch
	for _, f := range rec {
		g, encrypt, keep, err := p.protectField(plan, f)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if encrypt {
			v, err := p.encrypt(&sc, plan.Table, key, f)
			if err != nil {
				return nil, errorf("field %q: %w", f.Name, err)
			}
			g = Field{Name: f.Name, Value: v, Kind: KindString}
		}
		out = append(out, g)
	}
	return out, nil
}

// protectField applies plan's decision to one field. It returns the
// protected field, or encrypt set when the field is to be encrypted (by the
// caller), or keep false when the field is dropped.
func (p *Protector) protectField(plan *Plan, f Field) (g Field, encrypt, keep bool, err error) {
	return p.applyDecision(plan, plan.decisionRef(f.Name), f)
}

// applyDecision is protectField with the plan's decision for f (nil if
// the plan has none).
func (p *Protector) applyDecision(plan *Plan, d *Decision, f Field) (g Field, encrypt, keep bool, err error) {
	if d == nil {
		u := p.decideUnseen(plan.Table, f)
		d = &u
	}
	if d.Action.Kind == ActionDrop {
		return Field{}, false, false, nil
	}
	if f.Kind == KindNull || f.Kind == KindEmpty || isNull(f.Value) {
		return f, false, true, nil
	}
	switch d.Action.Kind {
	case ActionKeep:
		return f, false, true, nil
	case ActionMask:
		var m Mask
		if d.Action.Mask != nil {
			m = *d.Action.Mask
		} else {
			m = d.Type.DefaultMask()
		}
		return Field{Name: f.Name, Value: m.Apply(f.Value), Kind: KindString}, false, true, nil
	case ActionTokenize:
		if p.tokenKey == nil {
			return Field{}, false, false, errorf("field %q: %w: tokenize needs a token key", f.Name, ErrNoKey)
		}
		return Field{Name: f.Name, Value: p.Token(f.Value), Kind: KindString}, false, true, nil
	case ActionEncrypt:
		if p.aead == nil {
			return Field{}, false, false, errorf("field %q: %w: encrypt needs a field key", f.Name, ErrNoKey)
		}
		return Field{}, true, true, nil
	}
	return Field{}, false, false, errorf("field %q: %w: unknown action %q", f.Name, ErrPolicy, d.Action.Kind)
}

// decideUnseen classifies a field the plan does not name from its name and
// one value.
func (p *Protector) decideUnseen(table string, f Field) Decision {
	st := &fieldStats{name: f.Name, header: headerType(f.Name), stride: 1}
	st.observe(f.Value, 0)
	return p.policy.decision(table, st.result())
}

// Token returns the keyed token of a value: "tok:" and 32 lower-case hex
// digits, the first 16 bytes of BLAKE3 keyed with the token key over the
// value's bytes. Equal values give equal tokens in every table and field
// and in every backup made with the same key. It returns "" if the
// protector has no token key.
func (p *Protector) Token(v string) string {
	if p.tokenKey == nil {
		return ""
	}
	var sum [32]byte
	keyedSum(p.tokenHash, &sum, []byte(v))
	return TokenPrefix + hex.EncodeToString(sum[:16])
}

// associatedData binds an encrypted value to its place: the context string,
// then table, field and record key, each preceded by its length as a 4-byte
// big-endian number. It is appended to dst.
func associatedData(dst []byte, table, field, key string) []byte {
	dst = append(dst, encryptContext...)
	for _, s := range [...]string{table, field, key} {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// sealScratch holds the associated data and plaintext of one encryption,
// reused from value to value.
type sealScratch struct {
	ad, pt []byte
}

// errNonce means the system's random source failed.
var errNonce = errors.New("reading a random nonce failed")

// seal appends nonce || XChaCha20-Poly1305(kind || value) of field f to
// dst: the raw form of an encrypted value (the text form is
// EncryptedPrefix + base64url of these bytes). It returns nil if a random
// nonce could not be read.
func (p *Protector) seal(dst []byte, sc *sealScratch, table, key string, f Field) []byte {
	sc.ad = associatedData(sc.ad[:0], table, f.Name, key)
	sc.pt = append(append(sc.pt[:0], kindByte(f.Kind)), f.Value...)
	start := len(dst)
	dst = slices.Grow(dst, chacha20poly1305.NonceSizeX+len(sc.pt)+chacha20poly1305.Overhead)
	dst = dst[:start+chacha20poly1305.NonceSizeX]
	nonce := dst[start:]
	if p.random {
		if _, err := rand.Read(nonce); err != nil {
			return nil
		}
	} else {
		// A synthetic IV over the place and the value: the same value in
		// the same place encrypts the same in every backup.
		var sum [32]byte
		keyedSum(p.nonceHash, &sum, sc.ad, sc.pt)
		copy(nonce, sum[:])
	}
	return p.aead.Seal(dst, nonce, sc.pt, sc.ad)
}

// encrypt returns "enc:v2:" + base64url(nonce || XChaCha20-Poly1305(kind || value)).
func (p *Protector) encrypt(sc *sealScratch, table, key string, f Field) (string, error) {
	raw := p.seal(nil, sc, table, key, f)
	if raw == nil {
		return "", errNonce
	}
	return EncryptedPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
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

// Decrypt reverses the encryption of [Protector.Protect] for a record of
// the plan's table: given the field key and the record's key, it decrypts
// every field of rec whose value starts with "enc:v2:" and restores its
// kind; the other fields are returned as they are. A value that does not decrypt — wrong key, altered,
// or moved from another table, field or record — is an error naming the
// field and wrapping ErrDecrypt.
func (pl *Plan) Decrypt(fieldKey []byte, key string, rec Record) (Record, error) {
	if len(fieldKey) != KeySize {
		return nil, errorf("%w", ErrKeySize)
	}
	aead, _ := newFieldCipher(fieldKey)
	out := make(Record, len(rec))
	for i, f := range rec {
		out[i] = f
		if f.Kind != KindString || !strings.HasPrefix(f.Value, EncryptedPrefix) {
			continue
		}
		v, k, ok := decryptValue(aead, associatedData(nil, pl.Table, f.Name, key), f.Value)
		if !ok {
			return nil, errorf("field %q: %w", f.Name, ErrDecrypt)
		}
		out[i] = Field{Name: f.Name, Value: v, Kind: k}
	}
	return out, nil
}

func decryptValue(aead cipher.AEAD, ad []byte, v string) (string, Kind, bool) {
	ct, err := base64.RawURLEncoding.DecodeString(v[len(EncryptedPrefix):])
	if err != nil || len(ct) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+1 {
		return "", 0, false
	}
	nonce, ct := ct[:chacha20poly1305.NonceSizeX], ct[chacha20poly1305.NonceSizeX:]
	pt, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return "", 0, false
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
		return "", 0, false
	}
	return string(pt[1:]), k, true
}
