package repo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/zeebo/blake3"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/storage"
)

// M-of-N custody (docs/FORMAT.md §17.4). The master key is split with
// Shamir into shares, each given to one custodian as a text share or as a
// custody slot (role 3) opened by the custodian's own password. A custody
// record custody/<16 hex> names the custodians; it is sealed under a key
// derived from the split's set ID, which only the shares carry, so that
// the first custodian's share lets the others be asked for by name.
const (
	magicCustody      = "CCUS"
	maxCustodyPayload = 1 << 20
)

// Custody errors.
var (
	// ErrNotEnoughShares means fewer custodians than the threshold gave
	// their share.
	ErrNotEnoughShares = errors.New("not enough custodians")
	// ErrCustodyOnly means no key slot is left and a custody split
	// exists: only the custodians' shares open the repository.
	ErrCustodyOnly = errors.New("no password opens this repository: its read capability is split among custodians, whose shares open it")
	// ErrWrongShare means a share is not one of the split's shares, or the
	// shares do not combine into this repository's key.
	ErrWrongShare = errors.New("wrong custody share")
)

// Custodian is one holder of a custody share.
type Custodian struct {
	// Name identifies the custodian in prompts, listings and the audit log.
	Name string
	// Password, when set, protects the custodian's share in a custody slot
	// of the repository; otherwise Split returns the share as text.
	Password []byte
}

// SplitResult is what Split made.
type SplitResult struct {
	// Split identifies the split (16 hex digits).
	Split string
	// Threshold of Shares custodians together read the repository.
	Threshold, Shares int
	// TextShares holds the text share of each custodian without a
	// password, by name. They are secrets: hand each to its custodian.
	TextShares map[string]string
	// Removed lists the single-person key slots removed.
	Removed []string
}

// custodyRecord is the JSON of custody/<id>.
type custodyRecord struct {
	Split      string             `json:"split"`
	Threshold  int                `json:"threshold"`
	Shares     int                `json:"shares"`
	Created    time.Time          `json:"created"`
	Generation int                `json:"generation"`
	Custodians []custodyCustodian `json:"custodians"`
	// PublicKey is the hex X25519 public key of the split's generation,
	// to which a failed attempt to open with shares wraps the session key
	// of its audit entry.
	PublicKey string `json:"public_key,omitempty"`
}

type custodyCustodian struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	// Slot is the custody slot's ID, "" for a text share.
	Slot string `json:"slot,omitempty"`
	// Commitment is BLAKE3-derive("custodia v1 share commitment", binary
	// share, 16), which names a wrong share without revealing any.
	Commitment string `json:"commitment"`
}

func shareCommitment(s crypto.Share) string {
	b, _ := s.MarshalBinary()
	defer clear(b)
	var c [16]byte
	blake3.DeriveKey("custodia v1 share commitment", b, c[:])
	return hex.EncodeToString(c[:])
}

// custodyName and custodyKey derive the record's name and key from the
// split's set ID.
func custodyName(set crypto.ShareSetID) string {
	var id [8]byte
	blake3.DeriveKey("custodia v1 custody name", set[:], id[:])
	return custodyPrefix + hex.EncodeToString(id[:])
}

func custodyKey(set crypto.ShareSetID) *sealKey {
	var k crypto.Key
	blake3.DeriveKey("custodia v1 custody record", set[:], k[:])
	defer k.Wipe()
	return newSealKey(keyCustody, k)
}

func decodeCustodyRecord(b []byte) (*custodyRecord, error) {
	var rec custodyRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%w: custody record: %v", ErrMalformed, err)
	}
	if rec.Threshold < 2 || rec.Threshold > rec.Shares || rec.Shares > 255 || len(rec.Custodians) != rec.Shares {
		return nil, fmt.Errorf("%w: custody record: %d of %d with %d custodians", ErrMalformed, rec.Threshold, rec.Shares, len(rec.Custodians))
	}
	for i, c := range rec.Custodians {
		if c.Index != i+1 || c.Name == "" {
			return nil, fmt.Errorf("%w: custody record: custodian %d", ErrMalformed, i+1)
		}
	}
	return &rec, nil
}

// Split turns the read capability into one share per custodian, any
// threshold of which read the repository, and then removes every
// single-person key slot that can read (write-only slots stay, so
// backups go on). Custodians with a password get a custody slot; the
// others' shares are returned as text. Custodian names must be distinct.
// A later Split (from a session opened by threshold custodians) replaces
// the earlier split. It needs full access.
//
// Order, so that a crash at any step leaves an openable repository: the
// record, then the custody slots, then the removal of the old slots and
// of the previous split's slots and record.
func (r *Repository) Split(ctx context.Context, threshold int, custodians []Custodian, opts ...SplitOption) (*SplitResult, error) {
	if err := r.admin(); err != nil {
		return nil, err
	}
	if err := r.newest(ctx); err != nil {
		return nil, err
	}
	o := splitOptions{argon: crypto.DefaultArgon2Params()}
	for _, opt := range opts {
		opt(&o)
	}
	res, err := r.split(ctx, threshold, custodians, o)
	args := map[string]string{"threshold": fmt.Sprint(threshold), "shares": fmt.Sprint(len(custodians))}
	names := make([]string, len(custodians))
	for i, c := range custodians {
		names[i] = c.Name
	}
	args["custodians"] = strings.Join(names, ", ")
	if res != nil {
		args["split"] = res.Split
	}
	return res, r.audit(ctx, "key split", args, err)
}

// SplitOption configures Split.
type SplitOption func(*splitOptions)

type splitOptions struct {
	deliver func(ctx context.Context, custodian, share string) error
	argon   crypto.Argon2Params
}

// WithShareDelivery makes Split hand each text share to deliver (write it
// to a file and sync it, print it, send it to the custodian's device)
// after the custody record and slots are written and before any older
// slot is removed. If deliver fails, Split stops there: the older slots
// still open the repository. Without it the shares are only returned in
// SplitResult.TextShares, after the older slots are gone.
func WithShareDelivery(deliver func(ctx context.Context, custodian, share string) error) SplitOption {
	return func(o *splitOptions) { o.deliver = deliver }
}

// WithSplitArgon2 sets the Argon2id cost of the custody slots (default
// crypto.DefaultArgon2Params).
func WithSplitArgon2(p crypto.Argon2Params) SplitOption {
	return func(o *splitOptions) { o.argon = p }
}

// checkCustodians checks a split's parameters before anything is written.
func checkCustodians(threshold int, custodians []Custodian) error {
	seen := map[string]bool{}
	for _, c := range custodians {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("%w: custodian names must be distinct and not empty", ErrInvalidCustody)
		}
		seen[c.Name] = true
	}
	if threshold < 2 || threshold > len(custodians) || len(custodians) > 255 {
		return fmt.Errorf("%w: %d of %d custodians (need 2 <= threshold <= custodians <= 255)", ErrInvalidCustody, threshold, len(custodians))
	}
	return nil
}

func (r *Repository) split(ctx context.Context, threshold int, custodians []Custodian, o splitOptions) (*SplitResult, error) {
	if err := checkCustodians(threshold, custodians); err != nil {
		return nil, err
	}
	shares, err := crypto.SplitSecret(r.master[:], threshold, len(custodians))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCustody, err)
	}
	set := shares[0].SetID()
	before, err := r.Keys(ctx)
	if err != nil {
		return nil, err
	}
	oldRecords, err := listNames(ctx, r.store, custodyPrefix)
	if err != nil {
		return nil, err
	}
	rec := custodyRecord{Split: set.String(), Threshold: threshold, Shares: len(custodians), Created: time.Now().UTC().Truncate(time.Second), Generation: r.generation(), PublicKey: hex.EncodeToString(r.pub[:])}
	slotIDs := make([]string, len(custodians))
	for i, c := range custodians {
		cc := custodyCustodian{Name: c.Name, Index: shares[i].Index(), Commitment: shareCommitment(shares[i])}
		if c.Password != nil {
			id, err := randomID()
			if err != nil {
				return nil, err
			}
			slotIDs[i] = id.String()[:16]
			cc.Slot = slotIDs[i]
		}
		rec.Custodians = append(rec.Custodians, cc)
	}
	payload, err := json.Marshal(&rec)
	if err != nil {
		return nil, err
	}
	name := custodyName(set)
	if err := r.store.Put(ctx, name, sealEnvelope(magicCustody, custodyKey(set), name, payload)); err != nil {
		return nil, fmt.Errorf("write custody record: %w", err)
	}
	testhook.Step("split: custody record written")
	res := &SplitResult{Split: set.String(), Threshold: threshold, Shares: len(custodians), TextShares: map[string]string{}}
	for i, c := range custodians {
		if c.Password == nil {
			txt, err := shares[i].MarshalText()
			if err != nil {
				return nil, err
			}
			res.TextShares[c.Name] = string(txt)
			continue
		}
		bin, err := shares[i].MarshalBinary()
		if err != nil {
			return nil, err
		}
		info := KeyInfo{ID: slotIDs[i], Role: RoleCustody, Custodian: c.Name, Split: set.String(), Threshold: threshold, Shares: len(custodians), Generation: r.generation()}
		_, err = r.writeSlot(ctx, c.Password, &keyBundle{role: roleCustody, share: bin}, info, o.argon)
		clear(bin)
		if err != nil {
			return nil, err
		}
	}
	if o.deliver != nil {
		for _, c := range custodians {
			if txt, ok := res.TextShares[c.Name]; ok {
				if err := o.deliver(ctx, c.Name, txt); err != nil {
					return nil, fmt.Errorf("deliver the share of %s (nothing was removed: the older keys still open the repository): %w", c.Name, err)
				}
				testhook.Step("split: share delivered")
			}
		}
	}
	// Only now are the single-person read slots, and an earlier split,
	// removed.
	for _, k := range before {
		if k.canRead() || k.Role == RoleCustody {
			if err := r.deleteSlot(ctx, k.ID); err != nil {
				return res, err
			}
			if k.canRead() {
				res.Removed = append(res.Removed, k.ID)
			}
		}
	}
	for _, old := range oldRecords {
		if old != name {
			if err := r.store.Delete(ctx, old); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return res, fmt.Errorf("remove the previous custody record: %w", err)
			}
			testhook.Step("split: previous custody record removed")
		}
	}
	r.slot = name
	r.custody = true
	r.custodyRec = &rec
	return res, nil
}

// ErrInvalidCustody means the custody parameters are impossible.
var ErrInvalidCustody = errors.New("invalid custody split")

// listNames lists the object names under prefix.
func listNames(ctx context.Context, store *storage.Store, prefix string) ([]string, error) {
	var names []string
	for n, err := range store.List(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}

// deleteSlot removes a slot and its description.
func (r *Repository) deleteSlot(ctx context.Context, id string) error {
	if err := r.store.Delete(ctx, keysPrefix+id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove key slot %s: %w", id, err)
	}
	testhook.Step("slot removed")
	if err := r.store.Delete(ctx, keyInfoPrefix+id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove key description %s: %w", id, err)
	}
	testhook.Step("slot description removed")
	return nil
}

// ShareRequest is what OpenWithShares asks a ShareSource for.
type ShareRequest struct {
	// Custodian is the name of a custodian whose share is still missing,
	// or "" while no share is known yet (the first custodian).
	Custodian string
	// Pending lists every custodian whose share is still missing (empty
	// before the first share).
	Pending []string
	// Have and Need count the shares collected and needed (Need is 0
	// before the first share).
	Have, Need int
}

// ShareInput is one custodian's answer: a text share, or the password of
// the custodian's custody slot.
type ShareInput struct {
	Text     string
	Password []byte
	// From describes where the share came from (a file name), for errors.
	From string
}

// ShareSource supplies custodians' shares to OpenWithShares, one at a
// time. A host can back it with its own approval flow (two managers
// approving in a web application, say). NextShare returns io.EOF when no
// more custodians take part.
type ShareSource interface {
	NextShare(ctx context.Context, req ShareRequest) (ShareInput, error)
}

// OpenWithShares opens a repository whose read capability was split
// (Split): it asks src for shares until the threshold is met, names any
// wrong share, combines them, and checks that the key opens the
// repository before using it for this session only (Close wipes it).
// Fewer shares than the threshold fail with ErrNotEnoughShares; a share
// of another split, or shares that do not combine, with ErrWrongShare.
//
// An attempt that fails once a first share named its split (one custodian
// alone, a wrong share) is appended to the audit log with the outcome
// "denied: …" or "failed: …" — never a share — sealed under a session key
// wrapped to the public key the split's record holds, as write-only
// sessions do (docs/FORMAT.md §17.4).
func OpenWithShares(ctx context.Context, store *storage.Store, src ShareSource, opts ...OpenOption) (*Repository, error) {
	o := openOptions{limits: DefaultSlotLimits()}
	for _, opt := range opts {
		opt(&o)
	}
	var at custodyAttempt
	r, err := openWithShares(ctx, store, src, o, &at)
	if err != nil && at.rec != nil && ctx.Err() == nil {
		at.audit(ctx, err)
	}
	return r, err
}

// custodyAttempt is what an attempt to open with shares learned.
type custodyAttempt struct {
	rec   *custodyRecord
	set   crypto.ShareSetID
	from  []string
	coded *storage.Store // the store with the repository's coding
}

// audit appends the failed attempt to the audit log. It holds no key of
// the repository: like a write-only session it wraps a session key to the
// public key of the split's record. Records without one (older builds)
// cannot be audited; nor can a failure to append be reported, since the
// attempt already failed.
func (at *custodyAttempt) audit(ctx context.Context, cause error) {
	pub, err := hex.DecodeString(at.rec.PublicKey)
	if err != nil || len(pub) != crypto.KeySize || at.coded == nil {
		return
	}
	w := newWriteOnlyRepository(at.coded, &keyBundle{role: roleWriteOnly, pub: crypto.PublicKey(pub)})
	if err := w.startSession(ctx); err != nil {
		return
	}
	outcome := "failed: "
	if errors.Is(cause, ErrNotEnoughShares) {
		outcome = "denied: "
	}
	_ = w.AppendAudit(ctx, AuditEntry{
		Op:      "open with custody shares",
		Slot:    strings.TrimPrefix(custodyName(at.set), custodyPrefix),
		Role:    RoleCustody,
		Args:    map[string]string{"split": at.rec.Split, "custodians": strings.Join(at.from, ", ")},
		Outcome: outcome + oneLineError(cause),
	})
}

func openWithShares(ctx context.Context, store *storage.Store, src ShareSource, o openOptions, at *custodyAttempt) (*Repository, error) {
	cfgBytes, _, err := store.Get(ctx, configName)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotInitialized
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var (
		rec    *custodyRecord
		recSet crypto.ShareSetID
		got    []crypto.Share
		from   []string
	)
	defer func() { at.rec, at.set, at.from = rec, recSet, from }()
	names, err := listNames(ctx, store, keysPrefix)
	if err != nil {
		return nil, err
	}
	slots, _ := readSlots(ctx, store, names, o.limits)
	for {
		req := ShareRequest{Have: len(got)}
		if rec != nil {
			req.Need = rec.Threshold
			for _, c := range rec.Custodians {
				if !slices.ContainsFunc(got, func(s crypto.Share) bool { return s.Index() == c.Index }) {
					req.Pending = append(req.Pending, c.Name)
				}
			}
			if len(got) >= rec.Threshold {
				break
			}
			req.Custodian = req.Pending[0]
		}
		in, err := src.NextShare(ctx, req)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		s, err := shareFromInput(in, slots, o.limits)
		clear(in.Password)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			var coded *storage.Store
			if rec, coded, err = readCustodyRecord(ctx, store, s.SetID()); err != nil {
				return nil, fmt.Errorf("%w: share from %s: %w", ErrWrongShare, describe(in), err)
			}
			recSet, at.coded = s.SetID(), coded
		}
		who, err := rec.check(s, recSet)
		if err != nil {
			return nil, fmt.Errorf("%w: share from %s: %w", ErrWrongShare, describe(in), err)
		}
		if slices.ContainsFunc(got, func(g crypto.Share) bool { return g.Index() == s.Index() }) {
			return nil, fmt.Errorf("%w: %s gave the share of %s, which was already given", ErrWrongShare, describe(in), who)
		}
		got = append(got, s)
		from = append(from, who)
	}
	if rec == nil {
		return nil, fmt.Errorf("%w: no custodian gave a share", ErrNotEnoughShares)
	}
	if len(got) < rec.Threshold {
		return nil, fmt.Errorf("%w: %d of %d custodians must take part; only %s did", ErrNotEnoughShares, rec.Threshold, rec.Shares, strings.Join(from, ", "))
	}
	secret, err := crypto.CombineShares(got)
	if err != nil {
		return nil, fmt.Errorf("%w: the shares of %s do not combine: %w", ErrWrongShare, strings.Join(from, ", "), err)
	}
	var m crypto.MasterKey
	copy(m[:], secret)
	clear(secret)
	older, err := readKeyring(ctx, store, m)
	if err != nil {
		m.Wipe()
		return nil, fmt.Errorf("%w: the shares of %s combine into a key whose keyring does not open: %w", ErrWrongShare, strings.Join(from, ", "), err)
	}
	r := newRepositoryGen(store, Config{}, m, older)
	m.Wipe()
	for i := range older {
		older[i].Wipe()
	}
	// The combined key must open this repository before it is used.
	payload, err := openEnvelope(magicConfig, cfgBytes, configName, r.keyFor(kindConfig), 1<<20)
	if err != nil {
		return nil, fmt.Errorf("%w: the shares of %s combine into a key that does not open this repository: %w", ErrWrongShare, strings.Join(from, ", "), err)
	}
	cfg, err := decodeConfig(payload)
	if err != nil {
		return nil, err
	}
	r.custody = true
	r.custodyRec = rec
	r.slot = custodyName(recSet)
	if err := r.finishOpen(ctx, store, cfg, o); err != nil {
		return nil, err
	}
	if err := r.audit(ctx, "open with custody shares", map[string]string{"split": rec.Split, "custodians": strings.Join(from, ", ")}, nil); err != nil {
		return nil, err
	}
	return r, nil
}

func describe(in ShareInput) string {
	if in.From != "" {
		return in.From
	}
	if in.Password != nil {
		return "a custodian's password"
	}
	return "a typed share"
}

// readCustodyRecord reads the record of the split set, and returns it
// with a view of store that writes with the record's (the repository's)
// coding.
func readCustodyRecord(ctx context.Context, store *storage.Store, set crypto.ShareSetID) (*custodyRecord, *storage.Store, error) {
	name := custodyName(set)
	k := custodyKey(set)
	var payload []byte
	_, h, err := store.Get(ctx, name, storage.Authenticate(func(b []byte) (err error) {
		payload, err = openEnvelope(magicCustody, b, name, func(id crypto.KeyID) (*sealKey, error) {
			if id != k.id {
				return nil, fmt.Errorf("%w: custody record sealed under another key", ErrMalformed)
			}
			return k, nil
		}, maxCustodyPayload)
		return err
	}))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, fmt.Errorf("it belongs to no split of this repository (re-split since, or another repository)")
	}
	if err != nil {
		return nil, nil, err
	}
	rec, err := decodeCustodyRecord(payload)
	if err != nil {
		return nil, nil, err
	}
	coded, err := store.Coded(h.DataShards, h.Shards-h.DataShards)
	if err != nil {
		coded = nil // unusable coding: the record opened, but audit nothing
	}
	return rec, coded, nil
}

// check returns the name of the custodian whose share s is.
func (rec *custodyRecord) check(s crypto.Share, set crypto.ShareSetID) (string, error) {
	if s.SetID() != set {
		return "", fmt.Errorf("it belongs to another split")
	}
	if s.Index() < 1 || s.Index() > len(rec.Custodians) {
		return "", fmt.Errorf("share number %d is not part of this %d-share split", s.Index(), rec.Shares)
	}
	c := rec.Custodians[s.Index()-1]
	if shareCommitment(s) != c.Commitment {
		return c.Name, fmt.Errorf("it claims to be the share of %s but is not (altered or mistyped)", c.Name)
	}
	return c.Name, nil
}

// shareFromInput turns a custodian's answer into a share: a text share is
// parsed, a password opens one of the custody slots.
func shareFromInput(in ShareInput, slots []storedSlot, limits SlotLimits) (crypto.Share, error) {
	var s crypto.Share
	if in.Password == nil {
		if err := s.UnmarshalText([]byte(strings.TrimSpace(in.Text))); err != nil {
			return s, fmt.Errorf("%w: share from %s: %w", ErrWrongShare, describe(in), err)
		}
		if s.SecretSize() != crypto.KeySize {
			return s, fmt.Errorf("%w: share from %s is not a share of a repository key", ErrWrongShare, describe(in))
		}
		return s, nil
	}
	var share []byte
	_, err := unlock(slots, nil, in.Password, limits, func(b *keyBundle) error {
		if b.role != roleCustody {
			return fmt.Errorf("not a custody slot")
		}
		share = append([]byte(nil), b.share...)
		return nil
	}, func(string) {})
	if err != nil {
		return s, fmt.Errorf("%w: no custody slot opens with the password from %s", ErrWrongShare, describe(in))
	}
	defer clear(share)
	if err := s.UnmarshalBinary(share); err != nil {
		return s, fmt.Errorf("%w: custody slot: %w", ErrMalformed, err)
	}
	return s, nil
}
