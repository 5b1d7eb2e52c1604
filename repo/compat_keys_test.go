package repo_test

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"

	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// v1KeysDir is the committed key-model vector repository (see
// testdata/README.md): never regenerate it in place.
const v1KeysDir = "testdata/v1-keys"

func v1KeysShare(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(v1KeysDir + ".alice.share")
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// keyVectorShares gives fixed answers to OpenWithShares.
type keyVectorShares struct{ in []repo.ShareInput }

func (s *keyVectorShares) NextShare(context.Context, repo.ShareRequest) (repo.ShareInput, error) {
	if len(s.in) == 0 {
		return repo.ShareInput{}, io.EOF
	}
	in := s.in[0]
	s.in = s.in[1:]
	return in, nil
}

// TestFormatV1KeysVectors opens the committed v1-keys repository with the
// library: the custodians open it, the three snapshots (generation 0, a
// write-only session, generation 1) read back, the audit log verifies, the
// key list shows the write-only slot of generation 0 and carol's custody
// slot of generation 1. It works on a copy: opening with shares appends an
// audit entry, and a write-only session writes its session object.
func TestFormatV1KeysVectors(t *testing.T) {
	ctx := context.Background()
	dir := copyVectors(t, v1KeysDir)
	st, err := storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	defer st.Close()

	_, err = repo.Open(ctx, st, []byte(source.KeysPassword))
	require.ErrorIs(t, err, repo.ErrWrongPassword, "the split removed the full-access slot")
	_, err = repo.OpenWithShares(ctx, st, &keyVectorShares{in: []repo.ShareInput{{Text: v1KeysShare(t)}}})
	require.ErrorIs(t, err, repo.ErrNotEnoughShares)

	r, err := repo.OpenWithShares(ctx, st, &keyVectorShares{in: []repo.ShareInput{{Text: v1KeysShare(t)}, {Password: []byte(source.KeysCustodianPassword)}}})
	require.NoError(t, err)
	assert.Equal(t, 1, r.Generation())
	var got []string
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		tree, err := r.LoadTree(ctx, s.Tree)
		require.NoError(t, err)
		require.Len(t, tree.Nodes, 1)
		var data []byte
		for _, id := range tree.Nodes[0].Content {
			b, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
			require.NoError(t, err)
			data = append(data, b...)
		}
		got = append(got, tree.Nodes[0].Name)
		i := slices.Index(source.KeysStreamNames, tree.Nodes[0].Name)
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, source.KeysStreams()[i], data)
	}
	assert.ElementsMatch(t, source.KeysStreamNames, got)
	_, err = r.VerifyAudit(ctx, nil)
	require.NoError(t, err)
	entries, err := r.Audit(ctx, time.Time{})
	require.NoError(t, err)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op)
	}
	for _, op := range []string{"init", "key add", "key rotate", "key split"} {
		assert.Contains(t, ops, op)
	}
	keys, err := r.Keys(ctx)
	require.NoError(t, err)
	roles := map[repo.KeyRole]int{}
	for _, k := range keys {
		roles[k.Role] = k.Generation
	}
	assert.Equal(t, map[repo.KeyRole]int{repo.RoleWriteOnly: 0, repo.RoleCustody: 1}, roles)
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.False(t, rep.Damaged(), "%v", rep.Findings)

	wo, err := repo.Open(ctx, st, []byte(source.KeysWriteOnlyPassword))
	require.NoError(t, err)
	assert.True(t, wo.WriteOnly())
}

// --- The independent reader, for the key model (FORMAT.md 6.5, 6.6, 9,
// 9.1, 17.3–17.7).

// specGF multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (6.6).
func specShamirMul(a, b byte) byte {
	var p byte
	for range 8 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

func specShamirInv(a byte) byte {
	r := byte(1)
	for range 254 {
		r = specShamirMul(r, a)
	}
	return r
}

// specShare is one share in binary form.
type specShare struct {
	threshold, index byte
	setID            [8]byte
	value            []byte
}

func specParseShare(t *testing.T, b []byte) specShare {
	t.Helper()
	require.Equal(t, byte(1), b[0], "share version")
	return specShare{threshold: b[1], index: b[2], setID: [8]byte(b[3:11]), value: slices.Clone(b[11:])}
}

func specShareText(t *testing.T, text string) (specShare, []byte) {
	t.Helper()
	body, ok := strings.CutPrefix(text, "custodia-share-1-")
	require.True(t, ok)
	body = strings.ToUpper(strings.ReplaceAll(body, "-", ""))
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(body)
	require.NoError(t, err)
	bin, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	var want [4]byte
	blake3.DeriveKey("custodia v1 share checksum", bin, want[:])
	require.Equal(t, want[:], sum, "share checksum")
	return specParseShare(t, bin), bin
}

// specCombine interpolates the shares at 0 and checks the check tag.
func specCombine(t *testing.T, shares []specShare) []byte {
	t.Helper()
	v := make([]byte, len(shares[0].value))
	for i, si := range shares {
		c := byte(1)
		for j, sj := range shares {
			if i != j {
				c = specShamirMul(c, specShamirMul(sj.index, specShamirInv(si.index^sj.index)))
			}
		}
		for b := range v {
			v[b] ^= specShamirMul(c, si.value[b])
		}
	}
	secret, check := v[:len(v)-16], v[len(v)-16:]
	var want [16]byte
	s := shares[0]
	blake3.DeriveKey("custodia v1 shamir check", append(append(s.setID[:], s.threshold), secret...), want[:])
	require.Equal(t, 1, subtle.ConstantTimeCompare(want[:], check), "the shares combine")
	return secret
}

// specSlotBundle opens every key slot with password and returns the
// first bundle that opens, with the slot's ID.
func specSlotBundle(t *testing.T, dir, password string) (bundle []byte, id string) {
	t.Helper()
	slots, err := filepath.Glob(filepath.Join(dir, "keys", "*.0"))
	require.NoError(t, err)
	for _, s := range slots {
		id := strings.TrimSuffix(filepath.Base(s), ".0")
		b := specObject(t, dir, "keys/"+id)
		kek := argonSlotKey(b, password)
		if bundle, err := specOpen(t, kek, b[51:], b[:51]); err == nil {
			require.Equal(t, "CKB1", string(bundle[:4]))
			return bundle, id
		}
	}
	return nil, ""
}

// specUnwrap opens a 97-byte wrapped key with the private key r (6.5).
func specUnwrap(t *testing.T, r [32]byte, w []byte) [32]byte {
	t.Helper()
	require.Len(t, w, 97)
	require.Equal(t, byte(1), w[0])
	pub, err := curve25519.X25519(r[:], curve25519.Basepoint)
	require.NoError(t, err)
	require.Equal(t, specKeyID([32]byte(pub)), [16]byte(w[1:17]), "wrapped for this key")
	e := w[17:49]
	s, err := curve25519.X25519(r[:], e)
	require.NoError(t, err)
	wk, err := hkdf.Key(sha256.New, s, append(slices.Clone(e), pub...), "custodia v1 x25519 wrap", 32)
	require.NoError(t, err)
	a, err := chacha20poly1305.New(wk)
	require.NoError(t, err)
	d, err := a.Open(nil, make([]byte, 12), w[49:], w[:17])
	require.NoError(t, err)
	return [32]byte(d)
}

// TestFormatV1KeysSpecReader reads the v1-keys repository with the
// independent reader: carol's custody slot and alice's text share, the
// custody record and its commitments, the combined master key of
// generation 1, its keyring and generation 0, the write-only bundle, the
// key descriptions, the session object, every pack and snapshot sealed
// under three different keys, and every audit entry and link.
func TestFormatV1KeysSpecReader(t *testing.T) {
	dir := v1KeysDir
	objects := func(prefix string) []string {
		files, err := filepath.Glob(filepath.Join(dir, prefix, "*.0"))
		require.NoError(t, err)
		var names []string
		for _, f := range files {
			names = append(names, prefix+"/"+strings.TrimSuffix(filepath.Base(f), ".0"))
		}
		return names
	}

	// The shares: carol's from her slot (role 3), alice's as text.
	bundle, carolSlot := specSlotBundle(t, dir, source.KeysCustodianPassword)
	require.NotNil(t, bundle)
	require.Equal(t, byte(3), bundle[4], "custody role")
	require.Len(t, bundle, 5+59)
	carol := specParseShare(t, bundle[5:])
	alice, aliceBin := specShareText(t, v1KeysShare(t))
	require.Equal(t, alice.setID, carol.setID)
	nb, _ := specSlotBundle(t, dir, source.KeysPassword)
	require.Nil(t, nb, "the full-access slot was removed by the split")

	// The custody record.
	var nameID [8]byte
	blake3.DeriveKey("custodia v1 custody name", alice.setID[:], nameID[:])
	var recKey [32]byte
	blake3.DeriveKey("custodia v1 custody record", alice.setID[:], recKey[:])
	recName := "custody/" + hex.EncodeToString(nameID[:])
	require.Equal(t, []string{recName}, objects("custody"))
	raw := specEnvelope(t, nil, specObject(t, dir, recName), "CCUS", recName, recKey)
	recJSON := specJSONKeys(t, raw, []string{"split", "threshold", "shares", "created", "generation", "custodians"}, []string{"public_key"})
	var rec struct {
		Split      string `json:"split"`
		Threshold  int    `json:"threshold"`
		Shares     int    `json:"shares"`
		Generation int    `json:"generation"`
		Custodians []struct {
			Name, Slot, Commitment string
			Index                  int
		} `json:"custodians"`
	}
	require.NoError(t, json.Unmarshal(raw, &rec))
	assert.Equal(t, hex.EncodeToString(alice.setID[:]), rec.Split)
	assert.Equal(t, 2, rec.Threshold)
	assert.Equal(t, 2, rec.Shares)
	assert.Equal(t, 1, rec.Generation)
	require.Len(t, rec.Custodians, 2)
	commitment := func(bin []byte) string {
		var c [16]byte
		blake3.DeriveKey("custodia v1 share commitment", bin, c[:])
		return hex.EncodeToString(c[:])
	}
	for _, c := range rec.Custodians {
		switch c.Name {
		case "alice":
			assert.Equal(t, int(alice.index), c.Index)
			assert.Empty(t, c.Slot)
			assert.Equal(t, commitment(aliceBin), c.Commitment)
		case "carol":
			assert.Equal(t, int(carol.index), c.Index)
			assert.Equal(t, carolSlot, c.Slot)
			assert.Equal(t, commitment(bundle[5:]), c.Commitment)
		default:
			t.Fatalf("custodian %q", c.Name)
		}
	}

	// Generation 1 from the shares, generation 0 from its keyring.
	m1 := [32]byte(specCombine(t, []specShare{alice, carol}))
	kr := specDerive(m1[:], "keyring")
	krName := "keyrings/" + hex.EncodeToString(specKeyIDOf(m1))
	require.Equal(t, []string{krName}, objects("keyrings"))
	plain := specEnvelope(t, nil, specObject(t, dir, krName), "CKRG", krName, kr)
	require.Equal(t, "CSTDKRNG", string(plain[:8]))
	require.Equal(t, byte(1), plain[8])
	require.Equal(t, uint16(1), binary.BigEndian.Uint16(plain[9:11]))
	require.Len(t, plain, 11+32)
	m0 := [32]byte(plain[11:])
	require.NotEqual(t, m0, m1)

	index, chunkID := specDerive(m0[:], "index"), specDerive(m0[:], "chunk-id")
	specEnvelope(t, nil, specObject(t, dir, "config"), "CCFG", "config", index)
	x0, x1 := specDerive(m0[:], "x25519"), specDerive(m1[:], "x25519")
	pub0, err := curve25519.X25519(x0[:], curve25519.Basepoint)
	require.NoError(t, err)
	data0, data1 := specDerive(m0[:], "data"), specDerive(m1[:], "data")

	// The write-only bundle: the generation-0 keys and public key.
	wo, woSlot := specSlotBundle(t, dir, source.KeysWriteOnlyPassword)
	require.NotNil(t, wo)
	require.Equal(t, byte(2), wo[4])
	require.Len(t, wo, 133)
	assert.Equal(t, chunkID[:], wo[5:37])
	chunker := specDerive(m0[:], "chunker")
	assert.Equal(t, chunker[:], wo[37:69])
	assert.Equal(t, index[:], wo[69:101])
	assert.Equal(t, pub0, wo[101:133])

	// Key descriptions.
	infos := map[string]map[string]json.RawMessage{}
	for _, name := range objects("keyinfo") {
		raw := specEnvelope(t, nil, specObject(t, dir, name), "CKIN", name, index)
		m := specJSONKeys(t, raw, []string{"id", "role", "generation"}, []string{"created", "host", "label", "custodian", "split", "threshold", "shares"})
		assert.Equal(t, `"`+strings.TrimPrefix(name, "keyinfo/")+`"`, string(m["id"]))
		infos[strings.TrimPrefix(name, "keyinfo/")] = m
	}
	require.Len(t, infos, 2, "one description per remaining slot")
	assert.JSONEq(t, `"write-only"`, string(infos[woSlot]["role"]))
	assert.JSONEq(t, `"nightly"`, string(infos[woSlot]["label"]))
	assert.JSONEq(t, `0`, string(infos[woSlot]["generation"]))
	assert.JSONEq(t, `"custody"`, string(infos[carolSlot]["role"]))
	assert.JSONEq(t, `"carol"`, string(infos[carolSlot]["custodian"]))
	assert.JSONEq(t, `1`, string(infos[carolSlot]["generation"]))
	assert.JSONEq(t, `2`, string(infos[carolSlot]["threshold"]))

	// Sessions: D wrapped to generation 0's public key, named by KeyID(D).
	keys := map[[16]byte][32]byte{specKeyID(data0): data0, specKeyID(data1): data1}
	sessions := objects("sessions")
	require.Len(t, sessions, 1)
	for _, name := range sessions {
		d := specUnwrap(t, x0, specObject(t, dir, name))
		require.Equal(t, strings.TrimPrefix(name, "sessions/"), hex.EncodeToString(specKeyIDOf(d)))
		keys[specKeyID(d)] = d
	}
	pub1, err := curve25519.X25519(x1[:], curve25519.Basepoint)
	require.NoError(t, err)
	assert.JSONEq(t, `"`+hex.EncodeToString(pub1)+`"`, string(recJSON["public_key"]), "the record holds generation 1's public key")

	// Blobs and snapshots, each under its generation's or session's key.
	blobs := specReadBlobsWith(t, dir, index, chunkID, func(id [16]byte) ([32]byte, bool) { k, ok := keys[id]; return k, ok })
	snaps := objects("snapshots")
	require.Len(t, snaps, 3)
	sealedBy := map[string][16]byte{}
	for _, name := range snaps {
		b := specObject(t, dir, name)
		k, ok := keys[[16]byte(b[5:21])]
		require.True(t, ok, "%s sealed under a known key", name)
		raw := specEnvelope(t, nil, b, "CSNP", name, k)
		var snap struct {
			Kind string `json:"kind"`
			Tree string `json:"tree"`
		}
		require.NoError(t, json.Unmarshal(raw, &snap))
		require.Equal(t, "stream", snap.Kind)
		tid, _ := hex.DecodeString(snap.Tree)
		tree := blobs[[33]byte(append([]byte{1}, tid...))]
		var top struct {
			Nodes []specNode `json:"nodes"`
		}
		require.NoError(t, json.Unmarshal(tree, &top))
		require.Len(t, top.Nodes, 1)
		var content []byte
		for _, id := range top.Nodes[0].Content {
			bid, _ := hex.DecodeString(id)
			content = append(content, blobs[[33]byte(append([]byte{0}, bid...))]...)
		}
		i := slices.Index(source.KeysStreamNames, top.Nodes[0].Name)
		require.GreaterOrEqual(t, i, 0)
		require.Equal(t, source.KeysStreams()[i], content)
		sealedBy[top.Nodes[0].Name] = [16]byte(b[5:21])
	}
	assert.Equal(t, specKeyID(data0), sealedBy[source.KeysStreamNames[0]])
	assert.NotEqual(t, specKeyID(data0), sealedBy[source.KeysStreamNames[1]], "the write-only session's own key")
	assert.NotEqual(t, specKeyID(data1), sealedBy[source.KeysStreamNames[1]])
	assert.Equal(t, specKeyID(data1), sealedBy[source.KeysStreamNames[2]])

	// The audit log: names, hashes, links, seq and sealing.
	hashes := map[[32]byte]uint64{}
	type entry struct {
		seq   uint64
		prevs [][32]byte
		op    string
	}
	var entries []entry
	for _, name := range objects("audit") {
		b := specObject(t, dir, name)
		rest := strings.TrimPrefix(name, "audit/")
		require.Len(t, rest, 16+1+64)
		var h [32]byte
		blake3.DeriveKey("custodia v1 audit entry", b, h[:])
		require.Equal(t, rest[17:], hex.EncodeToString(h[:]), "the name carries the hash")
		require.Equal(t, "CAUD", string(b[:4]))
		require.Equal(t, byte(1), b[4])
		seq := binary.BigEndian.Uint64(b[5:13])
		require.Equal(t, rest[:16], hex.EncodeToString(b[5:13]), "the name carries seq")
		n := int(b[13])
		var prevs [][32]byte
		for i := range n {
			prevs = append(prevs, [32]byte(b[14+32*i:]))
		}
		hdr := 14 + 32*n + 16
		k, ok := keys[[16]byte(b[14+32*n:hdr])]
		require.True(t, ok, "%s sealed under a data or session key", name)
		plain, err := specOpen(t, k, b[hdr:], b[:hdr])
		require.NoError(t, err, name)
		body := specJSONKeys(t, specPayload(t, plain), []string{"time", "op", "outcome"}, []string{"host", "user", "slot", "role", "args"})
		var op string
		require.NoError(t, json.Unmarshal(body["op"], &op))
		hashes[h] = seq
		entries = append(entries, entry{seq: seq, prevs: prevs, op: op})
	}
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.op)
		if e.seq == 0 {
			require.Empty(t, e.prevs)
			continue
		}
		require.NotEmpty(t, e.prevs)
		top := uint64(0)
		for _, p := range e.prevs {
			ps, ok := hashes[p]
			require.True(t, ok, "every parent exists")
			top = max(top, ps+1)
		}
		require.Equal(t, top, e.seq, "seq = 1 + max(seq of its parents)")
	}
	for _, op := range []string{"init", "key add", "key rotate", "key split"} {
		assert.Contains(t, ops, op)
	}
}

func specKeyIDOf(k [32]byte) []byte {
	id := specKeyID(k)
	return id[:]
}

// argonSlotKey derives a password slot's key-encryption key (6.4).
func argonSlotKey(b []byte, password string) [32]byte {
	tm := binary.BigEndian.Uint32(b[10:14])
	mem := binary.BigEndian.Uint32(b[14:18])
	return [32]byte(argon2.IDKey([]byte(password), b[19:51], tm, mem, b[18], 32))
}
