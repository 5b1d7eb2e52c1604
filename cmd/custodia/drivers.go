package main

// The CLI reaches every cloud provider: storage registers only local
// folders and memory, storage/cloud adds S3, Google Cloud Storage and
// Azure Blob Storage.
import _ "github.com/custodia-backup/custodia/storage/cloud"
