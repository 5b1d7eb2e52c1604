package main

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newLsCmd) }

// lsOptions are the flags of "custodia ls".
type lsOptions struct {
	recursive bool
	filterFlags
}

func newLsCmd(env *cliEnv) *cobra.Command {
	var o lsOptions
	cmd := &cobra.Command{
		Use:   "ls SNAPSHOT|latest [PATH] [--recursive] [--json]",
		Short: "list the files and folders of a snapshot",
		Long: `List the entries of a snapshot's folder PATH (the snapshot's root when
omitted), as paths from the snapshot's root: the form 'restore --include'
takes. With --recursive, everything below PATH.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLs(cmd.Context(), env, &o, args)
		},
	}
	cmd.Flags().BoolVarP(&o.recursive, "recursive", "r", false, "list everything below PATH, not just its entries")
	o.filterFlags.register(cmd.Flags(), "with 'latest': the newest snapshot")
	return cmd
}

// lsEntry is one entry listed by ls (also its --json form).
type lsEntry struct {
	Path       string    `json:"path"`
	Type       string    `json:"type"`
	Mode       string    `json:"mode"`
	Size       uint64    `json:"size"`
	ModTime    time.Time `json:"mtime"`
	UID        uint32    `json:"uid"`
	GID        uint32    `json:"gid"`
	LinkTarget string    `json:"link_target,omitempty"`
}

func runLs(ctx context.Context, env *cliEnv, o *lsOptions, pos []string) error {
	if len(pos) < 1 || len(pos) > 2 {
		return usagef("ls: name one snapshot (an ID prefix or 'latest') and at most one path in it")
	}
	dir := ""
	if len(pos) == 2 {
		dir = strings.Trim(path.Clean("/"+pos[1]), "/")
	}
	if err := o.check(pos[0]); err != nil {
		return err
	}
	r, snap, _, err := env.openSnapshot(ctx, pos[0], &o.filterFlags) // a rollback was warned about; the listing is right for the snapshot found
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	node, tree, err := lookup(ctx, r, snap, dir)
	if err != nil {
		return err
	}
	out := newListPrinter[lsEntry](env)
	if node != nil && node.Type != repo.NodeDir {
		if err := out.add(entryOf(dir, node)); err != nil {
			return err
		}
		return out.end()
	}
	if err := walkTree(ctx, r, tree, dir, o.recursive, out.add); err != nil {
		return err
	}
	return out.end()
}

// lookup finds the entry at the slash-separated path p of snap ("" is the
// root): its node (nil for the root) and, for a folder, its tree.
func lookup(ctx context.Context, r *repo.Repository, snap *repo.Snapshot, p string) (*repo.Node, *repo.Tree, error) {
	tree, err := r.LoadTree(ctx, snap.Tree)
	if err != nil || p == "" {
		return nil, tree, err
	}
	var node *repo.Node
	for name := range strings.SplitSeq(p, "/") {
		if node != nil {
			if tree, err = subtree(ctx, r, node); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		var ok bool
		if node, ok = tree.Find(name); !ok {
			return nil, nil, fmt.Errorf("%s: no such file or folder in snapshot %s", p, snap.ID.String()[:8])
		}
	}
	if node.Type != repo.NodeDir {
		return node, nil, nil
	}
	tree, err = subtree(ctx, r, node)
	return node, tree, err
}

// subtree loads the tree of a folder node.
func subtree(ctx context.Context, r *repo.Repository, n *repo.Node) (*repo.Tree, error) {
	if n.Type != repo.NodeDir {
		return nil, fmt.Errorf("%s is not a folder", n.Name)
	}
	if n.Subtree == nil {
		return nil, fmt.Errorf("%w: folder %s has no tree", repo.ErrMalformed, n.Name)
	}
	return r.LoadTree(ctx, *n.Subtree)
}

// walkTree calls fn for each entry of tree (at path dir), and with
// recursive for everything below, folders before their contents.
func walkTree(ctx context.Context, r *repo.Repository, tree *repo.Tree, dir string, recursive bool, fn func(lsEntry) error) error {
	for i := range tree.Nodes {
		n := &tree.Nodes[i]
		p := path.Join(dir, n.Name)
		if err := fn(entryOf(p, n)); err != nil {
			return err
		}
		if !recursive || n.Type != repo.NodeDir {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sub, err := subtree(ctx, r, n)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if err := walkTree(ctx, r, sub, p, true, fn); err != nil {
			return err
		}
	}
	return nil
}

func entryOf(p string, n *repo.Node) lsEntry {
	mode := n.Mode
	switch n.Type {
	case repo.NodeDir:
		mode |= fs.ModeDir
	case repo.NodeSymlink:
		mode |= fs.ModeSymlink
	}
	return lsEntry{Path: p, Type: n.Type, Mode: mode.String(), Size: n.Size, ModTime: n.ModTime, UID: n.UID, GID: n.GID, LinkTarget: n.LinkTarget}
}

// text is the entry's line in ls's table.
func (e lsEntry) text() string {
	name := e.Path
	switch e.Type {
	case repo.NodeDir:
		name += "/"
	case repo.NodeSymlink:
		name += " -> " + e.LinkTarget
	}
	return fmt.Sprintf("%s %6d %6d %10s  %s  %s", e.Mode, e.UID, e.GID, fmtBytes(e.Size), e.ModTime.Local().Format("2006-01-02 15:04:05"), name)
}
