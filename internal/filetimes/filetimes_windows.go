package filetimes

import (
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// SetFile sets the access and modification times of the open file f to t,
// through its handle (which must have been opened for writing). It does not
// set the creation time.
func SetFile(f *os.File, t time.Time) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(h uintptr) { serr = setHandle(windows.Handle(h), t) }); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "SetFileTime", Path: f.Name(), Err: serr}
	}
	return nil
}

// SetPath sets the access and modification times of the entry at p (a
// file, a folder, or a symbolic link or junction itself, not what it points
// at) to t. It does not set the creation time.
func SetPath(p string, t time.Time) error {
	name, err := windows.UTF16PtrFromString(p)
	if err != nil {
		return &os.PathError{Op: "SetFileTime", Path: p, Err: err}
	}
	h, err := windows.CreateFile(name, windows.FILE_WRITE_ATTRIBUTES,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil, windows.OPEN_EXISTING,
		windows.FILE_FLAG_BACKUP_SEMANTICS|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return &os.PathError{Op: "CreateFile", Path: p, Err: err}
	}
	defer windows.CloseHandle(h)
	if err := setHandle(h, t); err != nil {
		return &os.PathError{Op: "SetFileTime", Path: p, Err: err}
	}
	return nil
}

// setHandle sets the access and modification times of the file open as h
// to t.
func setHandle(h windows.Handle, t time.Time) error {
	ft := windows.NsecToFiletime(t.UnixNano())
	return windows.SetFileTime(h, nil, &ft, &ft)
}
