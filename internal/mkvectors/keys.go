package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// runKeys makes the v1-keys vector set: the key model's objects (key
// descriptions, a write-only session, a keyring, a custody record and
// slot, the audit log), with three stream snapshots sealed under the data
// key of generation 0, a write-only session key and the data key of
// generation 1. alice's text share is written next to the folder, as
// <target>.alice.share.
func runKeys(ctx context.Context, target string, replace bool) error {
	if replace {
		if err := os.RemoveAll(target); err != nil {
			return err
		}
	}
	if names, err := os.ReadDir(target); err == nil && len(names) > 0 {
		return fmt.Errorf("%s is not empty (use -replace)", target)
	}
	shareFile := target + ".alice.share"
	if err := generateKeys(ctx, target, shareFile); err != nil {
		return err
	}
	return verifyKeys(ctx, target, shareFile)
}

func generateKeys(ctx context.Context, target, shareFile string) error {
	st, err := storage.Open(ctx, []string{target}, storage.WithCreate(), storage.WithShards(source.DataShards, source.ParityShards))
	if err != nil {
		return err
	}
	defer st.Close()
	cheap := source.Argon2()
	r, err := repo.Init(ctx, st, []byte(source.KeysPassword), repo.WithArgon2(cheap), repo.WithChunker(source.Chunker()), repo.WithPackSize(source.PackSize))
	if err != nil {
		return err
	}
	opts := []backup.Option{backup.WithHost(source.Host), backup.WithTags(source.Tags()...)}
	streams := source.KeysStreams()
	if _, err := backup.Stream(ctx, r, source.KeysStreamNames[0], bytes.NewReader(streams[0]), opts...); err != nil {
		return err
	}
	if _, err := r.AddKey(ctx, []byte(source.KeysWriteOnlyPassword), repo.RoleWriteOnly, repo.WithLabel("nightly"), repo.WithKeyArgon2(cheap)); err != nil {
		return err
	}
	wo, err := repo.Open(ctx, st, []byte(source.KeysWriteOnlyPassword))
	if err != nil {
		return err
	}
	if _, err := backup.Stream(ctx, wo, source.KeysStreamNames[1], bytes.NewReader(streams[1]), opts...); err != nil {
		return err
	}
	if err := wo.Close(ctx); err != nil {
		return err
	}
	if _, err := r.Rotate(ctx, repo.RotateOptions{Password: []byte(source.KeysPassword), Argon2: cheap}); err != nil {
		return err
	}
	if _, err := backup.Stream(ctx, r, source.KeysStreamNames[2], bytes.NewReader(streams[2]), opts...); err != nil {
		return err
	}
	_, err = r.Split(ctx, 2, []repo.Custodian{{Name: "alice"}, {Name: "carol", Password: []byte(source.KeysCustodianPassword)}},
		repo.WithSplitArgon2(cheap),
		repo.WithShareDelivery(func(_ context.Context, name, share string) error {
			return os.WriteFile(shareFile, []byte(share+"\n"), 0o644)
		}))
	if err != nil {
		return err
	}
	fmt.Printf("v1-keys: 3 stream snapshots, generation %d, split 2 of 2\n", r.Generation())
	return r.Close(ctx)
}

// keyShares gives alice's text share and carol's password.
type keyShares struct{ in []repo.ShareInput }

func (s *keyShares) NextShare(context.Context, repo.ShareRequest) (repo.ShareInput, error) {
	if len(s.in) == 0 {
		return repo.ShareInput{}, errors.New("no more shares")
	}
	in := s.in[0]
	s.in = s.in[1:]
	return in, nil
}

func verifyKeys(ctx context.Context, target, shareFile string) error {
	share, err := os.ReadFile(shareFile)
	if err != nil {
		return err
	}
	st, err := storage.Open(ctx, []string{target})
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := repo.OpenWithShares(ctx, st, &keyShares{in: []repo.ShareInput{{Text: string(share)}, {Password: []byte(source.KeysCustodianPassword)}}})
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
	if _, err := r.VerifyAudit(ctx, nil); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mkvectors-keys-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	n := 0
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			return err
		}
		dst := filepath.Join(work, s.ID.String())
		if _, err := restore.Snapshot(ctx, r, s, dst); err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dst, source.KeysStreamNames[n]))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, source.KeysStreams()[n]) {
			return fmt.Errorf("snapshot %s: stream content differs", s.ID)
		}
		n++
	}
	if n != 3 {
		return fmt.Errorf("%d snapshots, want 3", n)
	}
	return nil
}
