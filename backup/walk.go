package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/custodia-backup/custodia/repo"
)

// The walk lists folders in parallel. Each folder is one task: read its
// entries, lstat them, load the parent snapshot's tree of the folder, and
// start each entry (an unchanged file is settled there and then, a file to
// read goes to the file workers, a subfolder becomes a task of its own).
// At most opts.walkers tasks run at once: when all are busy, the task that
// finds a subfolder lists it itself, depth first, as a sequential walk
// would. A folder's tree is encoded and saved when its last entry is done,
// by whichever goroutine finishes it. Memory stays bounded: a task blocks
// while the file queue is full, so at most walkers folders are listed
// ahead of the files being read. The trees are the same as a sequential
// walk's: a tree holds its entries sorted by name, whatever order they were
// done in.

// dir starts backing up a folder and returns the future of its node, which
// completes when its tree is saved.
func (b *backuper) dir(path string, node repo.Node, parent *repo.Node) *future {
	f := newFuture()
	b.dirs.Add(1)
	select {
	case b.walkSem <- struct{}{}:
		go b.walkDir(path, node, parent, f, true)
	default:
		b.walkDir(path, node, parent, f, false)
	}
	return f
}

// walkDir lists the folder at path and starts its entries; slot says it
// holds a place of b.walkSem, given back once the listing is done.
func (b *backuper) walkDir(path string, node repo.Node, parent *repo.Node, f *future, slot bool) {
	node.Type = repo.NodeDir
	node.Xattrs = b.xattrs(path)
	b.nDirs.Add(1)
	l, ok := b.listDir(path, parent)
	if slot {
		<-b.walkSem
	}
	if !ok {
		f.skip = true
		close(f.done)
		b.dirs.Done()
		return
	}
	for _, p := range l.pending {
		if !isDone(p.f) {
			go b.finishDir(node, l, f)
			return
		}
	}
	b.finishDir(node, l, f)
}

// listing is a folder's entries as started: nodes holds one node per
// entry, in listing order, complete for the entries done at once; the
// others are pending and fill their place when done.
type listing struct {
	nodes   []repo.Node
	pending []pendingEntry
	// same is the parent snapshot's tree of the folder when the folder
	// may be unchanged since (as many entries, and every file settled from
	// the parent), for finishDir to compare; nil otherwise, so that only
	// unchanged folders hold their parent's tree.
	same *priorTree
}

// pendingEntry is an entry still being backed up: nodes[i] of its listing.
type pendingEntry struct {
	i int
	f *future
}

// listDir reads a folder's entries and starts each; ok is false when the
// folder could not be read at all.
func (b *backuper) listDir(path string, parent *repo.Node) (l listing, ok bool) {
	entries, err := os.ReadDir(path)
	if err != nil {
		b.fileError(path, err)
		if entries == nil {
			return l, false
		}
	}
	var parentTree *repo.Tree
	if parent != nil && parent.Type == repo.NodeDir && parent.Subtree != nil {
		if t, err := b.r.LoadTree(b.ctx, *parent.Subtree); err == nil {
			parentTree = t
		}
	}
	if parentTree != nil {
		l.same = &priorTree{id: *parent.Subtree, nodes: parentTree.Nodes}
	}
	l.nodes = make([]repo.Node, 0, len(entries))
	for _, e := range entries {
		if b.ctx.Err() != nil {
			break
		}
		p := filepath.Join(path, e.Name())
		fi, err := e.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				b.fileError(p, err)
			}
			continue
		}
		var pn *repo.Node
		if parentTree != nil {
			pn, _ = parentTree.Find(e.Name())
		}
		n, f := b.begin(p, fi, pn)
		if f != nil {
			if l.same != nil && !fi.IsDir() && !isDone(f) {
				l.same = nil // a file to read
			}
			l.pending = append(l.pending, pendingEntry{i: len(l.nodes), f: f})
		}
		l.nodes = append(l.nodes, n)
	}
	if l.same != nil && len(l.same.nodes) != len(l.nodes) {
		l.same = nil
	}
	return l, true
}

// priorTree is the parent snapshot's tree of a folder: its ID and nodes.
type priorTree struct {
	id    repo.ID
	nodes []repo.Node
}

// isDone reports whether f is complete.
func isDone(f *future) bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// finishDir waits for a folder's entries, then saves its tree and
// completes its future. A tree with the same nodes as same, the parent
// snapshot's tree of the folder, is that tree: its ID is kept instead of
// encoding and hashing the tree again (the same bytes would give the same
// ID), as long as the repository still has it where a writer may rely on
// it, which SaveTree would have checked too.
func (b *backuper) finishDir(node repo.Node, l listing, f *future) {
	defer b.dirs.Done()
	defer close(f.done)
	left := false
	for _, p := range l.pending {
		<-p.f.done
		if p.f.skip {
			l.nodes[p.i].Name, left = "", true // no stored node has an empty name
		} else {
			l.nodes[p.i] = p.f.node
		}
	}
	if left {
		l.nodes = slices.DeleteFunc(l.nodes, func(n repo.Node) bool { return n.Name == "" })
	}
	t, same := &repo.Tree{Nodes: l.nodes}, l.same
	if b.ctx.Err() != nil {
		f.skip = true
		return
	}
	t.Sort()
	if same != nil && sameNodes(t.Nodes, same.nodes) {
		if h := (repo.BlobHandle{Type: repo.TreeBlob, ID: same.id}); b.r.HasBlob(h) {
			node.Subtree = &h.ID
			f.node = node
			return
		}
	}
	id, err := b.r.SaveTree(b.ctx, t)
	if err != nil {
		b.fail(err)
		f.skip = true
		return
	}
	node.Subtree = &id
	f.node = node
}
