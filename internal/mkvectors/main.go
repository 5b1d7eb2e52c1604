// Command mkvectors (re)generates the format test vectors: a small custodia
// repository holding one file snapshot and one stream snapshot of the
// deterministic content of package source.
//
//	go run ./internal/mkvectors repo/testdata/v1
//	go run ./internal/mkvectors -special repo/testdata/v1-special
//	go run ./internal/mkvectors -keys repo/testdata/v1-keys
//
// The second set (Linux, as root for its device node) holds one file
// snapshot of source.WriteSpecial's tree: hard links, a sparse file,
// extended attributes, a named pipe and a device node.
//
// The target folder must not exist or be empty (-replace removes it
// first). The content is deterministic but random nonces, salts, keys and
// IDs are not, so a regenerated repository differs byte for byte from the
// committed one: the committed bytes are the vectors, and regenerating
// them is only for a new vector set. After writing, mkvectors reopens the
// repository, checks it with ReadData and restores both snapshots to
// compare them with the source.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

func main() {
	replace := flag.Bool("replace", false, "remove the target folder first")
	special := flag.Bool("special", false, "make the special-files set (v1-special) instead of v1")
	keys := flag.Bool("keys", false, "make the key-model set (v1-keys) instead of v1")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: mkvectors [-replace] [-special | -keys] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	set := vectorSet{write: source.Write, roots: source.Roots(), stream: true}
	if *special {
		set = specialSet()
	}
	gen := run
	if *keys {
		gen = func(ctx context.Context, target string, replace bool, _ vectorSet) error {
			return runKeys(ctx, target, replace)
		}
	}
	if err := gen(context.Background(), flag.Arg(0), *replace, set); err != nil {
		fmt.Fprintln(os.Stderr, "mkvectors:", err)
		os.Exit(1)
	}
}

// vectorSet is what a vector repository holds: the tree write makes in a
// folder, backed up by its roots, and with stream the stream snapshot.
type vectorSet struct {
	write  func(dir string) error
	roots  []string
	stream bool
}

func run(ctx context.Context, target string, replace bool, set vectorSet) error {
	if replace {
		if err := os.RemoveAll(target); err != nil {
			return err
		}
	}
	if names, err := os.ReadDir(target); err == nil && len(names) > 0 {
		return fmt.Errorf("%s is not empty (use -replace)", target)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	work, err := os.MkdirTemp("", "mkvectors-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "src")
	if err := os.Mkdir(src, 0o700); err != nil {
		return err
	}
	if err := set.write(src); err != nil {
		return err
	}
	if err := generate(ctx, target, src, set); err != nil {
		return err
	}
	return verify(ctx, target, src, work, set)
}

func generate(ctx context.Context, target, src string, set vectorSet) error {
	st, err := storage.Open(ctx, []string{target}, storage.WithCreate(), storage.WithShards(source.DataShards, source.ParityShards))
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, []byte(source.Password),
		repo.WithArgon2(source.Argon2()),
		repo.WithChunker(source.Chunker()),
		repo.WithPackSize(source.PackSize))
	if err != nil {
		return err
	}
	var paths []string
	for _, p := range set.roots {
		paths = append(paths, filepath.Join(src, p))
	}
	opts := []backup.Option{backup.WithHost(source.Host), backup.WithTags(source.Tags()...), backup.WithWorkers(2)}
	res, err := backup.Files(ctx, r, paths, opts...)
	if err != nil {
		return fmt.Errorf("file backup: %w", err)
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("file backup skipped entries: %v", res.Errors)
	}
	fmt.Printf("file snapshot   %s\n", res.Snapshot.ID)
	if !set.stream {
		return r.Close(ctx)
	}
	res, err = backup.Stream(ctx, r, source.StreamName, bytes.NewReader(source.Stream()), opts...)
	if err != nil {
		return fmt.Errorf("stream backup: %w", err)
	}
	fmt.Printf("stream snapshot %s\n", res.Snapshot.ID)
	return r.Close(ctx)
}

func verify(ctx context.Context, target, src, work string, set vectorSet) error {
	st, err := storage.Open(ctx, []string{target})
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := repo.Open(ctx, st, []byte(source.Password))
	if err != nil {
		return err
	}
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	if err != nil {
		return err
	}
	if rep.Damaged() {
		return fmt.Errorf("check found problems: %v", rep.Findings)
	}
	streamDir := filepath.Join(work, "stream-want")
	if err := os.Mkdir(streamDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(streamDir, source.StreamName), source.Stream(), 0o600); err != nil {
		return err
	}
	n := 0
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			return err
		}
		n++
		dst := filepath.Join(work, "restore-"+s.ID.String())
		if _, err := restore.Snapshot(ctx, r, s, dst); err != nil {
			return err
		}
		switch s.Kind {
		case repo.KindFiles:
			var diffs []string
			if diffs, err = fixture.Diff(src, dst, true); err == nil && len(diffs) > 0 {
				err = errors.New(strings.Join(diffs, "; "))
			}
		case repo.KindStream:
			got, rerr := os.ReadFile(filepath.Join(dst, source.StreamName))
			if rerr != nil {
				return rerr
			}
			if !bytes.Equal(got, source.Stream()) {
				err = errors.New("stream content differs")
			}
		}
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", s.ID, err)
		}
	}
	if want := map[bool]int{true: 2, false: 1}[set.stream]; n != want {
		return fmt.Errorf("%d snapshots, want %d", n, want)
	}
	var size int64
	err = filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			fi, ierr := d.Info()
			if ierr == nil {
				size += fi.Size()
			}
		}
		return err
	})
	fmt.Printf("verified: %d packs, %d blobs read, %d bytes on disk\n", rep.Packs, rep.BlobsRead, size)
	return err
}
