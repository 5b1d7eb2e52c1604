package storage

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"
)

func TestCodedViewSharesSites(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	v, err := s.Coded(2, 1)
	require.NoError(t, err)
	k, m := v.Shards()
	assert.Equal(t, []int{2, 1}, []int{k, m})
	k, m = s.Shards()
	assert.Equal(t, []int{4, 2}, []int{k, m}, "the store itself keeps its coding")
	data := randBytes(1000, 1)
	require.NoError(t, v.Put(ctx, "c/v", data))
	got, h, err := s.Get(ctx, "c/v")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Equal(t, 3, h.Shards)
	same, err := s.Coded(4, 2)
	require.NoError(t, err)
	assert.Same(t, s, same)
	_, err = s.Coded(0, 1)
	assert.ErrorIs(t, err, ErrInvalidShards)
	require.NoError(t, v.Close())
	_, _, err = s.Get(ctx, "c/v")
	assert.ErrorIs(t, err, ErrClosed, "views share the closed state")
}

func TestWithBucket(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs, WithBucket("host://bucket?token=s3cret", b))
	assert.Equal(t, []string{"file://" + dirs[0], "host://bucket?token=xxxxx"}, s.Sites())
	data := randBytes(5000, 2)
	require.NoError(t, s.Put(ctx, "w/b", data))
	ok, err := b.Exists(ctx, "w/b.1")
	require.NoError(t, err)
	assert.True(t, ok, "odd shards are placed on the second site, the host's bucket")
	got, _, err := s.Get(ctx, "w/b")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	require.NoError(t, s.Close())
	ok, err = b.Exists(ctx, "w/b.1")
	require.NoError(t, err, "Close leaves the host's bucket open")
	assert.True(t, ok)

	_, err = Open(ctx, nil, WithBucket("x", nil))
	assert.ErrorIs(t, err, ErrInvalidSiteURL)
	_, err = Open(ctx, nil, WithBucket("x", b), WithBucket("x", b))
	assert.ErrorIs(t, err, ErrInvalidSiteURL)
}

func TestCloudDriverNotRegistered(t *testing.T) {
	_, err := Open(context.Background(), []string{"s3://bucket?region=eu-west-1"}, WithAllowUnreachable())
	require.ErrorIs(t, err, ErrInvalidSiteURL)
	assert.Contains(t, err.Error(), "custodia/storage/cloud")
}
