package drill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// DefaultAgainstSample is how many files or records are compared with the
// live source when WithSample does not say.
const DefaultAgainstSample = 20

// How a sampled file or record differs from the live source (Change.What).
const (
	// ChangeModified: the live file's size or modification time is no
	// longer the snapshot's — it was changed since.
	ChangeModified = "modified since the snapshot"
	// ChangeRemoved: the file is no longer in the source.
	ChangeRemoved = "removed from the source since the snapshot"
	// ChangeInPlace: the live file's bytes differ from the restored ones
	// (which are what the repository stored) although its size and
	// modification time are the snapshot's: it was changed in place with
	// its time kept, or damaged on the source's disk.
	ChangeInPlace = "differs from the snapshot with the same size and modification time: changed in place or damaged on the source"
	// ChangeRecord: the live record differs from the snapshot's record of
	// the same key.
	ChangeRecord = "record differs from the snapshot's"
	// ChangeAdded: the live record's key is not in the snapshot.
	ChangeAdded = "record not in the snapshot (added since)"
)

// Comparison is how a sample of an item compared with its live source.
// The restored data is checked against what the repository stored in the
// item's checks; a difference here says the source has moved on since the
// snapshot (or, for ChangeInPlace, that the source itself changed
// unnoticed).
type Comparison struct {
	// Source is what was compared with: a folder, or "live table NAME".
	Source string `json:"source"`
	// Sampled counts the files or records compared; Same those equal.
	Sampled int `json:"sampled"`
	Same    int `json:"same"`
	// Changed lists the others, by path in the snapshot or by key.
	Changed []Change `json:"changed,omitempty"`
}

// Change is one sampled file or record that differs from the source.
type Change struct {
	Name string `json:"name"`
	What string `json:"what"`
}

// WithAgainstFiles compares a sample of the restored files (WithSample
// many, DefaultAgainstSample without it) with the live files under dir,
// which stands for the snapshot's paths: the backed-up folder itself for
// a snapshot of one path, a folder holding each by its name for several.
// Each sampled file is also re-hashed on disk and compared with the
// content IDs stored for it, so that a restore writing other bytes than
// the repository stored fails the drill, while a file changed at the
// source since the snapshot is reported apart (Item.Against).
func WithAgainstFiles(dir string) Option {
	return func(o *options) { o.againstFiles = dir }
}

// WithAgainstTable compares a sample of the live records of table name
// (read from live, picked at random; WithSample many, DefaultAgainstSample
// without it), protected as the snapshot's stored decisions say, with the
// snapshot's records of the same keys. live is read once, during the
// drill; a database source should read inside one transaction
// (source.OpenDB does).
func WithAgainstTable(name string, live iter.Seq2[classify.Record, error]) Option {
	return func(o *options) {
		if o.againstTables == nil {
			o.againstTables = map[string]iter.Seq2[classify.Record, error]{}
		}
		o.againstTables[name] = live
	}
}

func (o *options) againstN() int {
	if o.sample > 0 {
		return o.sample
	}
	return DefaultAgainstSample
}

// compareFiles samples restored files under target, checks each against
// its stored content IDs (a failed check when one differs) and compares it
// with the live file.
func compareFiles(ctx context.Context, r *repo.Repository, s *repo.Snapshot, target string, o *options) (Check, *Comparison) {
	cmp := &Comparison{Source: o.againstFiles}
	rng := rand.New(rand.NewPCG(o.seed, 0xa9a1))
	var sample []string
	seen := 0
	err := filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(target, p)
		seen++
		if len(sample) < o.againstN() {
			sample = append(sample, filepath.ToSlash(rel))
		} else if j := rng.IntN(seen); j < len(sample) {
			sample[j] = filepath.ToSlash(rel)
		}
		return nil
	})
	slices.Sort(sample)
	check := Check{Name: fmt.Sprintf("%d sampled files re-hashed on disk equal the content the repository stored", len(sample))}
	if err != nil {
		check.Detail = err.Error()
		return check, nil
	}
	params, gear := r.ChunkerParams()
	ck, err := chunk.NewChunker(nil, params, gear)
	if err != nil {
		check.Detail = err.Error()
		return check, nil
	}
	var bad []string
	for _, rel := range sample {
		if err := ctx.Err(); err != nil {
			check.Detail = err.Error()
			return check, nil
		}
		node, err := findNode(ctx, r, s, rel)
		if err != nil {
			bad = append(bad, rel+": "+err.Error())
			continue
		}
		restored := filepath.Join(target, filepath.FromSlash(rel))
		if ok, err := sameContent(r, ck, restored, node); err != nil || !ok {
			if err == nil {
				err = errors.New("restored bytes differ from the stored content")
			}
			bad = append(bad, rel+": "+err.Error())
			continue
		}
		cmp.Sampled++
		switch what := compareLive(restored, livePath(o.againstFiles, s, rel), node); what {
		case "":
			cmp.Same++
		default:
			cmp.Changed = append(cmp.Changed, Change{Name: rel, What: what})
		}
	}
	if len(bad) > 0 {
		check.Detail = strings.Join(bad, "; ")
		return check, cmp
	}
	check.Passed = true
	return check, cmp
}

// findNode returns the node at rel (slash-separated, from the snapshot's
// root) of s's trees.
func findNode(ctx context.Context, r *repo.Repository, s *repo.Snapshot, rel string) (*repo.Node, error) {
	tree := s.Tree
	parts := strings.Split(rel, "/")
	for i, name := range parts {
		t, err := r.LoadTree(ctx, tree)
		if err != nil {
			return nil, err
		}
		var n *repo.Node
		for j := range t.Nodes {
			if t.Nodes[j].Name == name {
				n = &t.Nodes[j]
				break
			}
		}
		if n == nil {
			return nil, fmt.Errorf("not in the snapshot")
		}
		if i == len(parts)-1 {
			return n, nil
		}
		if n.Subtree == nil {
			return nil, fmt.Errorf("%s is not a folder in the snapshot", name)
		}
		tree = *n.Subtree
	}
	return nil, fmt.Errorf("not in the snapshot")
}

// sameContent re-chunks the file at path and compares its size and chunk
// IDs with the node's (for a sparse file, the size only: its holes are
// not stored).
func sameContent(r *repo.Repository, ck *chunk.Chunker, path string, n *repo.Node) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if uint64(fi.Size()) != n.Size {
		return false, fmt.Errorf("restored %d bytes, the snapshot holds %d", fi.Size(), n.Size)
	}
	if n.Sparse {
		return true, nil
	}
	ck.Reset(f)
	i := 0
	for {
		c, err := ck.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
		if i >= len(n.Content) || r.BlobID(c) != n.Content[i] {
			return false, nil
		}
		i++
	}
	return i == len(n.Content), nil
}

// livePath maps rel, a path from the snapshot's root, to the live file:
// under dir for a snapshot of one path without its first element, else
// with it.
func livePath(dir string, s *repo.Snapshot, rel string) string {
	if len(s.Paths) == 1 {
		if _, rest, ok := strings.Cut(rel, "/"); ok {
			return filepath.Join(dir, filepath.FromSlash(rest))
		}
		return dir // a snapshot of one file
	}
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// compareLive compares the restored file with the live one and returns
// "" when equal, else how the live one differs.
func compareLive(restored, live string, n *repo.Node) string {
	fi, err := os.Stat(live)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ChangeRemoved
		}
		return "cannot be read: " + err.Error()
	}
	metaSame := uint64(fi.Size()) == n.Size && fi.ModTime().Equal(n.ModTime)
	eq, err := equalFiles(restored, live)
	switch {
	case err != nil:
		return "cannot be read: " + err.Error()
	case eq:
		return ""
	case metaSame:
		return ChangeInPlace
	}
	return ChangeModified
}

// equalFiles compares two files' bytes in bounded memory.
func equalFiles(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == io.EOF || eb == io.ErrUnexpectedEOF, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil && eb != io.EOF && eb != io.ErrUnexpectedEOF {
			return false, eb
		}
	}
}

// compareTable compares a sample of the live records of the table with
// the snapshot.
func compareTable(ctx context.Context, r *repo.Repository, s *repo.Snapshot, name string, live iter.Seq2[classify.Record, error], o *options) (*Comparison, error) {
	rng := rand.New(rand.NewPCG(o.seed, 0x7ab1e))
	rep, err := restore.VerifyTableSample(ctx, r, s, live, o.againstN(), rng)
	if err != nil {
		return nil, err
	}
	cmp := &Comparison{Source: "live table " + name, Sampled: rep.Sampled, Same: rep.Sampled - len(rep.Mismatched) - len(rep.Missing)}
	for _, k := range rep.Mismatched {
		cmp.Changed = append(cmp.Changed, Change{Name: strings.Join(k, ","), What: ChangeRecord})
	}
	for _, k := range rep.Missing {
		cmp.Changed = append(cmp.Changed, Change{Name: strings.Join(k, ","), What: ChangeAdded})
	}
	return cmp, nil
}

// checkAgainst makes sure every live source given belongs to an item of
// the drill.
func checkAgainst(items []planned, o *options) error {
	files, tables := false, map[string]bool{}
	for _, p := range items {
		if p.kind == KindFiles {
			files = true
		} else {
			tables[p.name] = true
		}
	}
	if o.againstFiles != "" && !files {
		return errors.New("drill: a live folder to compare with was given, but the drill restores no files")
	}
	names := make([]string, 0, len(o.againstTables))
	for name := range o.againstTables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !tables[name] {
			return fmt.Errorf("drill: a live source was given for table %s, which the drill does not restore", name)
		}
	}
	return nil
}

// sourceChanges counts, over the items compared with their live source,
// the sampled files or records, those that differ and those changed in
// place.
func (r *Report) sourceChanges() (sampled, changed, inPlace int) {
	for _, it := range r.Items {
		if it.Against == nil {
			continue
		}
		sampled += it.Against.Sampled
		changed += len(it.Against.Changed)
		for _, c := range it.Against.Changed {
			if c.What == ChangeInPlace {
				inPlace++
			}
		}
	}
	return sampled, changed, inPlace
}

// sourceVerdict says in one line how the samples compared with the live
// source, "" when none was compared.
func (r *Report) sourceVerdict() string {
	compared := slices.ContainsFunc(r.Items, func(it Item) bool { return it.Against != nil })
	if !compared {
		return ""
	}
	sampled, changed, inPlace := r.sourceChanges()
	if changed == 0 {
		return fmt.Sprintf("the live source equals the snapshot in all %d sampled files and records", sampled)
	}
	s := fmt.Sprintf("the live source changed since the snapshot: %d of %d sampled files and records differ", changed, sampled)
	if inPlace > 0 {
		s += fmt.Sprintf(", %d of them with the snapshot's size and modification time (changed in place, or damaged on the source's disk)", inPlace)
	}
	if r.Passed {
		s += "; the restored data is what the repository stored"
	}
	return s
}
