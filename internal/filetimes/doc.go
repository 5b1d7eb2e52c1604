// Package filetimes sets the access and modification times of files and
// folders to the finest step the system keeps (nanoseconds on Unix, the
// 100 ns of Windows file times), of an open file through its descriptor
// or handle where the system allows it, and of a symbolic link or
// junction itself rather than of what it points at (which os.Chtimes
// does not do). It does not set a file's creation (birth) time, which
// snapshots do not hold.
package filetimes
