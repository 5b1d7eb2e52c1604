// Package drill proves that a repository restores, and measures how long
// it takes: a restore drill.
//
// [Run] restores the chosen items — the files of a snapshot (all of them,
// or those matching glob patterns) into a scratch folder, and whole tables
// into a counting sink — through the same code a real recovery uses, so
// every byte is authenticated and re-hashed against its keyed ID on the
// way. It then checks what came back: file counts and sizes against the
// snapshot's trees, record counts against the table snapshot, and a random
// sample of records fetched again by key (the one-record path) against the
// full read. It times each item and the whole against a recovery time
// objective (RTO), removes the scratch data, and records a sealed summary
// in the repository so the next drill can show the history of recovery
// times. [Report] renders the outcome as JSON, Markdown or an HTML page
// with a chart of drill durations over time.
//
// Items are restored critical first: in the order of their snapshots'
// priority when snapshots carry one, else tables before files, in the
// order given.
//
// The package needs the read capability; it knows nothing of where the
// data came from, and it never writes to the places a real restore would.
package drill
