// Package wintimes sets the access and modification times of files on
// Windows, through a handle, to the 100 ns of Windows file times, and of a
// symbolic link or junction itself rather than of what it points at (which
// os.Chtimes does not do). It holds nothing for other systems, where
// golang.org/x/sys/unix does the same.
package wintimes
