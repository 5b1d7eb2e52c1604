package restore

import (
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// setFileTimes sets the access and modification times of an open file to
// t, through its handle (to 100 ns, the resolution of Windows file
// times). It does not set the creation time, which snapshots do not hold.
func setFileTimes(f *os.File, t time.Time) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(h uintptr) { serr = setHandleTimes(windows.Handle(h), t) }); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "SetFileTime", Path: f.Name(), Err: serr}
	}
	return nil
}

// setPathTimes sets the access and modification times of the entry at p
// (a folder or a symbolic link itself, not what a link points at) to t.
// It does not set the creation time.
func setPathTimes(p string, t time.Time) error {
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
	if err := setHandleTimes(h, t); err != nil {
		return &os.PathError{Op: "SetFileTime", Path: p, Err: err}
	}
	return nil
}

// setHandleTimes sets the access and modification times of the file open
// as h to t.
func setHandleTimes(h windows.Handle, t time.Time) error {
	ft := windows.NsecToFiletime(t.UnixNano())
	return windows.SetFileTime(h, nil, &ft, &ft)
}
