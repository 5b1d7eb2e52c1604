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
//
// While every entry so far is its node in the parent snapshot's tree of
// the folder, at the same place, nodes stays nil and n counts the
// entries: an unchanged folder's nodes are same.nodes, and copying them
// (a node is some 240 bytes) would only make garbage. The first entry
// that differs copies the ones before it (differ).
type listing struct {
	nodes   []repo.Node
	n       int // entries started
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

// shared reports whether the listing's nodes are still same.nodes[:n]
// (n is then at most len(same.nodes)).
func (l *listing) shared() bool { return l.nodes == nil && l.same != nil }

// differ gives the listing nodes of its own, room for size entries, with
// the n entries so far the parent's nodes (a pending entry's place is
// filled when it is done).
func (l *listing) differ(size int) {
	if !l.shared() {
		return
	}
	l.nodes = make([]repo.Node, l.n, max(size, l.n))
	copy(l.nodes, l.same.nodes[:l.n])
}

// add appends the node of the next entry, named name; a pending entry's
// n is a placeholder, compared when it is done.
func (l *listing) add(name string, n repo.Node, pending bool, size int) {
	if l.shared() {
		at := l.n < len(l.same.nodes) && l.same.nodes[l.n].Name == name
		if !at || !pending && !sameNode(n, l.same.nodes[l.n]) {
			l.differ(size)
		}
	}
	if !l.shared() {
		l.nodes = append(l.nodes, n)
	}
	l.n++
}

// parentNode returns the parent snapshot's node of the next entry, named
// name: in a folder listed in the same order as before, the node at the
// same place.
func (l *listing) parentNode(t *repo.Tree, name string) *repo.Node {
	if t == nil {
		return nil
	}
	if l.n < len(t.Nodes) && t.Nodes[l.n].Name == name {
		return &t.Nodes[l.n]
	}
	pn, _ := t.Find(name)
	return pn
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
	} else {
		l.nodes = make([]repo.Node, 0, len(entries))
	}
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
		n, f := b.begin(p, fi, l.parentNode(parentTree, e.Name()))
		if f != nil {
			if l.same != nil && !fi.IsDir() && !isDone(f) {
				l.differ(len(entries))
				l.same = nil // a file to read
			}
			l.pending = append(l.pending, pendingEntry{i: l.n, f: f})
		}
		l.add(e.Name(), n, f != nil, len(entries))
	}
	if l.same != nil && len(l.same.nodes) != l.n {
		l.differ(l.n)
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
		switch {
		case p.f.skip:
			l.differ(l.n)
			l.nodes[p.i].Name, left = "", true // no stored node has an empty name
		case l.shared() && sameNode(p.f.node, l.same.nodes[p.i]):
		default:
			l.differ(l.n)
			l.nodes[p.i] = p.f.node
		}
	}
	if b.ctx.Err() != nil {
		f.skip = true
		return
	}
	if l.shared() {
		// Every entry is its node in the parent's tree, in its place.
		if h := (repo.BlobHandle{Type: repo.TreeBlob, ID: l.same.id}); b.r.HasBlob(h) {
			node.Subtree = &h.ID
			f.node = node
			return
		}
		l.differ(l.n)
	}
	if left {
		l.nodes = slices.DeleteFunc(l.nodes, func(n repo.Node) bool { return n.Name == "" })
	}
	t, same := &repo.Tree{Nodes: l.nodes}, l.same
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
