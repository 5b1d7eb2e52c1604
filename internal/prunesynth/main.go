// Command prunesynth writes a custodia repository holding n tiny distinct
// data blobs, for measuring prune on millions of blobs next to restic's
// (docs/PERFORMANCE.md, "Prune memory"): files of 1000 blobs, 10 files a
// folder, and two snapshots, A of every folder and B (an hour newer) of the
// first half. After "custodia forget --keep-last 1" half the blobs are
// unused. restic_synth.go.txt is the same generator for restic, built
// inside restic's source tree (it needs restic's internal packages).
//
//	go run ./internal/prunesynth -repo /tmp/c5m -blobs 5000000
//	CUSTODIA_REPOSITORY=/tmp/c5m CUSTODIA_PASSWORD=synthpass custodia forget --keep-last 1
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func main() {
	path := flag.String("repo", "", "repository folder (created)")
	n := flag.Int("blobs", 5_000_000, "data blobs")
	flag.Parse()
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{*path}, storage.WithCreate())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, []byte("synthpass"), repo.WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64 << 10, Threads: 1}))
	if err != nil {
		log.Fatal(err)
	}
	const perFile, perDir = 1000, 10
	dirs := *n / (perFile * perDir)
	subtrees := make([]repo.ID, 0, dirs)
	start := time.Now()
	blob := 0
	for d := range dirs {
		var nodes []repo.Node
		for f := range perDir {
			node := repo.Node{Name: fmt.Sprintf("f%02d", f), Type: repo.NodeFile, Mode: 0o644, Size: perFile * 16}
			for range perFile {
				b := []byte(fmt.Sprintf("blob %011d", blob))
				id := r.BlobID(b)
				if _, err := r.SaveBlob(ctx, repo.DataBlob, id, b, false); err != nil {
					log.Fatal(err)
				}
				node.Content = append(node.Content, id)
				blob++
			}
			nodes = append(nodes, node)
		}
		id, err := r.SaveTree(ctx, &repo.Tree{Nodes: nodes})
		if err != nil {
			log.Fatal(err)
		}
		subtrees = append(subtrees, id)
		if d%100 == 0 {
			log.Printf("%d blobs, %v", blob, time.Since(start))
		}
	}
	now := time.Now()
	for i, take := range []int{dirs, dirs / 2} {
		var nodes []repo.Node
		for d := range take {
			nodes = append(nodes, repo.Node{Name: fmt.Sprintf("d%06d", d), Type: repo.NodeDir, Mode: 0o755, Subtree: &subtrees[d]})
		}
		root, err := r.SaveTree(ctx, &repo.Tree{Nodes: nodes})
		if err != nil {
			log.Fatal(err)
		}
		id, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: now.Add(time.Duration(i-1) * time.Hour), Host: "synth", Paths: []string{"/synth"}, Kind: repo.KindFiles, Tree: root})
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("snapshot %s of %d folders", id.String()[:8], take)
	}
	if err := r.Close(ctx); err != nil {
		log.Fatal(err)
	}
	log.Printf("done in %v", time.Since(start))
}
