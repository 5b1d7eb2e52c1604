package storage_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/storage"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custodia-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Two local sites; with 4+2 shards each holds three shards per object.
	sites := []string{filepath.Join(dir, "site-a"), filepath.Join(dir, "site-b")}
	s, err := storage.Open(ctx, sites, storage.WithShards(4, 2), storage.WithCreate())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	if err := s.Put(ctx, "packs/ab/ab12", []byte("an encrypted pack")); err != nil {
		log.Fatal(err)
	}
	// Lose two shards: the object is still readable.
	os.Remove(filepath.Join(sites[0], "packs", "ab", "ab12.0"))
	os.Remove(filepath.Join(sites[1], "packs", "ab", "ab12.1"))

	data, health, err := s.Get(ctx, "packs/ab/ab12")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", data)
	for _, p := range health.Bad {
		fmt.Println("bad:", p.Index, p.Err)
	}
	if _, err := s.Repair(ctx, "packs/ab/ab12"); err != nil {
		log.Fatal(err)
	}
	h, _ := s.Check(ctx, "packs/ab/ab12", true)
	fmt.Println("after repair ok:", h.OK())
	// Output:
	// an encrypted pack
	// bad: 0 shard missing
	// bad: 1 shard missing
	// after repair ok: true
}

func ExampleStore_GetRange() {
	ctx := context.Background()
	s, err := storage.Open(ctx, []string{"mem://example-range"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(ctx, "packs/00/0001", []byte("0123456789abcdef")); err != nil {
		log.Fatal(err)
	}
	part, err := s.GetRange(ctx, "packs/00/0001", 3, 6) // spans data shards 0 and 1
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", part)
	// Output: 345678
}

func ExampleParseSiteURL() {
	for _, arg := range []string{"/srv/backup", "file:///srv/backup/", "s3://bucket?region=eu-west-1"} {
		u, err := storage.ParseSiteURL(arg)
		fmt.Println(u, err)
	}
	// Output:
	// file:///srv/backup <nil>
	// file:///srv/backup <nil>
	// s3://bucket?region=eu-west-1 <nil>
}

func ExampleStore_List() {
	ctx := context.Background()
	s, err := storage.Open(ctx, []string{"mem://example-list-a", "mem://example-list-b"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, n := range []string{"snapshots/2", "packs/01/x", "snapshots/1"} {
		if err := s.Put(ctx, n, []byte(n)); err != nil {
			log.Fatal(err)
		}
	}
	for name, err := range s.List(ctx, "snapshots/") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name)
	}
	// Output:
	// snapshots/1
	// snapshots/2
}
