package repo

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeebo/blake3"

	"github.com/custodia-backup/custodia/crypto"
)

// The persistent index cache (docs/FORMAT.md §13.3) keeps the index a
// session loaded in one sealed file of a local folder, so that the next
// open of the same repository reads that file's small part (pack table,
// sparse index, Bloom filter) and only the index files written since,
// instead of every index file. Its key is derived from the index key, so
// only a holder of that key can read or forge it; a file that does not
// authenticate, belongs to another repository or covers an index file
// that is gone is not used, and the index is read from the repository.

const (
	persistMagic    = "CUSTIDXC"
	persistEndMagic = "CIXC-END"
	persistVersion  = 1
	// persistPrelude is magic ‖ u32 version ‖ u32 0 ‖ salt [32].
	persistPrelude = 48
	// persistFooter is u64 meta length ‖ end magic.
	persistFooter = 16
	// persistMetaChunk is the plaintext size of each sealed meta chunk.
	persistMetaChunk = 1 << 20
	// maxPersistMeta bounds the meta a reader accepts.
	maxPersistMeta = 1 << 30
	// persistFolder is the folder of this version's caches; folders of
	// other versions (index-v*) are removed when a cache is written.
	persistFolder = "index-v1"
	// persistTempAge is the age past which a temporary file left by a
	// crashed writer is removed.
	persistTempAge = time.Hour
	// persistUnusedAge is the age past which the folder of a repository
	// whose cache no session used or wrote is removed.
	persistUnusedAge = 90 * 24 * time.Hour
)

// Roles of the session that wrote a cache: they trust different packs.
const (
	persistRoleFull      byte = 1
	persistRoleWriteOnly byte = 2
)

// persistCacheContext and persistFileContext are the BLAKE3 derive-key
// contexts of the cache key and of each file's key.
const (
	persistCacheContext = "custodia v1 local index cache"
	persistFileContext  = "custodia v1 local index cache file"
)

// errPersistUnusable wraps every reason a cache file is not used.
var errPersistUnusable = errors.New("local index cache not usable")

// persistCache is the place and key of one repository's persistent index
// cache for one role.
type persistCache struct {
	base string // the folder holding the versions' folders
	dir  string // this repository's folder
	name string // the file's name in dir
	key  [32]byte
	repo ID
	role byte
}

// derivePersistKey derives the cache key of a write-only session from the
// index key, the one key of the repository's that the write-only role
// shares with the full role: distinct from it, and from every key stored
// objects are sealed under. Its holder learns nothing from the cache that
// the index files do not tell it.
func derivePersistKey(indexKey crypto.Key) [32]byte {
	var k [32]byte
	blake3.DeriveKey(persistCacheContext, indexKey[:], k[:])
	return k
}

// persistPurpose is the purpose of the full role's cache key.
const persistPurpose = "index-cache"

// derivePersistKeyFull derives the cache key of a full-access session
// from the master key of generation 0 (as the index key is): a holder of
// a write-only key, which can derive derivePersistKey's key, can neither
// read nor forge the full role's cache — a forged one could make full
// sessions prefer its packs to the trusted copies of the same blobs
// (docs/FORMAT.md §17.3).
func derivePersistKeyFull(m0 crypto.MasterKey) [32]byte {
	return m0.Derive(persistPurpose)
}

// newPersistCache returns the cache of repository repo under base, for a
// session of role, keyed by key (derivePersistKey). The repository's
// folder is named by a keyed hash of its ID: the name reveals nothing.
func newPersistCache(base string, key [32]byte, repo ID, role byte) *persistCache {
	h, err := blake3.NewKeyed(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	h.Write([]byte("folder"))
	h.Write(repo[:])
	var sum [16]byte
	h.Digest().Read(sum[:])
	name := "full.idx"
	if role == persistRoleWriteOnly {
		name = "write-only.idx"
	}
	return &persistCache{
		base: base,
		dir:  filepath.Join(base, persistFolder, hex.EncodeToString(sum[:])),
		name: name,
		key:  key,
		repo: repo,
		role: role,
	}
}

func (pc *persistCache) path() string { return filepath.Join(pc.dir, pc.name) }

// fileAEAD returns the AEAD of a file with salt: a key of its own, so
// that block nonces never repeat under one key and no block of one file
// authenticates in another.
func (pc *persistCache) fileAEAD(salt []byte) cipher.AEAD {
	var k [32]byte
	m := make([]byte, 0, 64)
	m = append(append(m, pc.key[:]...), salt...)
	blake3.DeriveKey(persistFileContext, m, k[:])
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// metaAD is the additional data of each meta chunk: the prelude and the
// meta's length, so that neither can be changed.
func metaAD(prelude []byte, metaLen uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prelude...), metaLen)
}

// metaNonce is the nonce of meta chunk i; block nonces begin with 0.
func metaNonce(i int) []byte {
	var n [12]byte
	binary.BigEndian.PutUint32(n[:4], ^uint32(0))
	binary.BigEndian.PutUint64(n[4:], uint64(i))
	return n[:]
}

func sealedMetaLen(metaLen uint64, overhead int) uint64 {
	chunks := (metaLen + persistMetaChunk - 1) / persistMetaChunk
	return metaLen + chunks*uint64(overhead)
}

// writeFile writes a cache file of the sorted entries of seq (at most n)
// and the meta that meta returns once seq is consumed, under a temporary
// name renamed to the cache's name when complete (the last writer of two
// wins; a reader keeps the file it opened). It returns the file's segment
// (block size chosen for memory), open for reading; the caller closes it.
func (pc *persistCache) writeFile(n, packs, memory int, seq iter.Seq2[idxEntry, error], meta func(*diskSegment) *persistMeta) (*diskSegment, error) {
	f, err := pc.create()
	if err != nil {
		return nil, err
	}
	return pc.writeTo(f, n, packs, memory, seq, meta)
}

// create makes the folder and a temporary file of a new cache file.
func (pc *persistCache) create() (*os.File, error) {
	if err := os.MkdirAll(pc.dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(pc.dir, pc.name+".tmp-*")
}

// writeTo is writeFile to a temporary file made by create, which it
// removes on error.
func (pc *persistCache) writeTo(f *os.File, n, packs, memory int, seq iter.Seq2[idxEntry, error], meta func(*diskSegment) *persistMeta) (_ *diskSegment, err error) {
	renamed := false
	defer func() {
		if err != nil {
			f.Close()
			if !renamed {
				os.Remove(f.Name())
			}
		}
	}()
	prelude := make([]byte, persistPrelude)
	copy(prelude, persistMagic)
	binary.BigEndian.PutUint32(prelude[8:], persistVersion)
	if _, err := rand.Read(prelude[16:]); err != nil {
		return nil, err
	}
	per := blockRecords(n, memory)
	s := &diskSegment{aead: pc.fileAEAD(prelude[16:]), f: f, base: persistPrelude, keep: true, per: per, packs: packs, first: make([]uint64, 0, (n+per-1)/per)}
	s.sizeFilter(n, memory/4)
	w := bufio.NewWriterSize(f, 256<<10)
	w.Write(prelude)
	if err := s.fill(w, n, seq); err != nil {
		return nil, err
	}
	m := meta(s)
	plain := m.encode()
	ad := metaAD(prelude, uint64(len(plain)))
	var sealed []byte
	for i := 0; i*persistMetaChunk < len(plain); i++ {
		chunk := plain[i*persistMetaChunk : min(len(plain), (i+1)*persistMetaChunk)]
		sealed = s.aead.Seal(sealed[:0], metaNonce(i), chunk, ad)
		w.Write(sealed)
	}
	footer := binary.BigEndian.AppendUint64(nil, uint64(len(plain)))
	w.Write(append(footer, persistEndMagic...))
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), pc.path()); err != nil {
		return nil, err
	}
	renamed = true
	pc.cleanup()
	return s, nil
}

// cleanup removes the folders of other versions of the cache, the
// folders of repositories whose caches were not used for persistUnusedAge,
// and the temporary files crashed writers left in this repository's
// folder.
func (pc *persistCache) cleanup() {
	if ents, err := os.ReadDir(pc.base); err == nil {
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), "index-v") && e.Name() != persistFolder {
				os.RemoveAll(filepath.Join(pc.base, e.Name()))
			}
		}
	}
	version := filepath.Join(pc.base, persistFolder)
	if ents, err := os.ReadDir(version); err == nil {
		for _, e := range ents {
			if dir := filepath.Join(version, e.Name()); e.IsDir() && dir != pc.dir && unusedSince(dir, persistUnusedAge) {
				os.RemoveAll(dir)
			}
		}
	}
	if ents, err := os.ReadDir(pc.dir); err == nil {
		for _, e := range ents {
			if !strings.Contains(e.Name(), ".tmp-") {
				continue
			}
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > persistTempAge {
				os.Remove(filepath.Join(pc.dir, e.Name()))
			}
		}
	}
}

// unusedSince reports whether no file of dir was modified (written, or
// touched when used) for age.
func unusedSince(dir string, age time.Duration) bool {
	if info, err := os.Stat(dir); err != nil || time.Since(info.ModTime()) < age {
		return false
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < age {
			return false
		}
	}
	return true
}

// touch marks the cache file used, so that cleanup keeps it.
func (pc *persistCache) touch() {
	now := time.Now()
	_ = os.Chtimes(pc.path(), now, now)
}

// open opens the cache file and authenticates its prelude and meta. The
// blocks are authenticated as they are read. Any error means the file is
// not used.
func (pc *persistCache) open() (*os.File, cipher.AEAD, *persistMeta, error) {
	f, err := os.Open(pc.path())
	if err != nil {
		return nil, nil, nil, err
	}
	aead, m, err := pc.readMeta(f)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return f, aead, m, nil
}

// readMeta authenticates and decodes the meta of the cache file f.
func (pc *persistCache) readMeta(f io.ReaderAt) (cipher.AEAD, *persistMeta, error) {
	size, err := readerSize(f)
	if err != nil {
		return nil, nil, err
	}
	if size < persistPrelude+persistFooter {
		return nil, nil, fmt.Errorf("%w: a file of %d bytes", errPersistUnusable, size)
	}
	var prelude [persistPrelude]byte
	var footer [persistFooter]byte
	if _, err := f.ReadAt(prelude[:], 0); err != nil {
		return nil, nil, err
	}
	if _, err := f.ReadAt(footer[:], size-persistFooter); err != nil {
		return nil, nil, err
	}
	if string(prelude[:8]) != persistMagic || string(footer[8:]) != persistEndMagic {
		return nil, nil, fmt.Errorf("%w: not a cache file", errPersistUnusable)
	}
	if v := binary.BigEndian.Uint32(prelude[8:]); v != persistVersion || binary.BigEndian.Uint32(prelude[12:]) != 0 {
		return nil, nil, fmt.Errorf("%w: cache version %d", errPersistUnusable, v)
	}
	aead := pc.fileAEAD(prelude[16:])
	metaLen := binary.BigEndian.Uint64(footer[:8])
	if metaLen == 0 || metaLen > maxPersistMeta {
		return nil, nil, fmt.Errorf("%w: cache meta of %d bytes", errPersistUnusable, metaLen)
	}
	sealedLen := sealedMetaLen(metaLen, aead.Overhead())
	metaOff := size - persistFooter - int64(sealedLen)
	if metaOff < persistPrelude {
		return nil, nil, fmt.Errorf("%w: cache meta of %d bytes in a file of %d", errPersistUnusable, metaLen, size)
	}
	ad := metaAD(prelude[:], metaLen)
	plain := make([]byte, 0, metaLen)
	buf := make([]byte, min(sealedLen, persistMetaChunk+uint64(aead.Overhead())))
	for off, i := uint64(0), 0; off < sealedLen; i++ {
		c := buf[:min(uint64(len(buf)), sealedLen-off)]
		if _, err := f.ReadAt(c, metaOff+int64(off)); err != nil {
			return nil, nil, err
		}
		if plain, err = aead.Open(plain, metaNonce(i), c, ad); err != nil {
			return nil, nil, fmt.Errorf("%w: cache meta does not authenticate (another key, or a changed file)", errPersistUnusable)
		}
		off += uint64(len(c))
	}
	m, err := decodePersistMeta(plain)
	if err != nil {
		return nil, nil, err
	}
	if m.repo != pc.repo || m.role != pc.role {
		return nil, nil, fmt.Errorf("%w: cache of another repository or role", errPersistUnusable)
	}
	if got := metaOff - persistPrelude; got != m.blocksSize(aead.Overhead()) {
		return nil, nil, fmt.Errorf("%w: cache blocks of %d bytes, want %d", errPersistUnusable, got, m.blocksSize(aead.Overhead()))
	}
	return aead, m, nil
}

// readerSize returns the size of f: a file's, or a bytes.Reader's.
func readerSize(f io.ReaderAt) (int64, error) {
	switch v := f.(type) {
	case interface{ Stat() (os.FileInfo, error) }:
		info, err := v.Stat()
		if err != nil {
			return 0, err
		}
		return info.Size(), nil
	case interface{ Size() int64 }:
		return v.Size(), nil
	}
	return 0, fmt.Errorf("%w: size unknown", errPersistUnusable)
}
