package backup

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// errIsLink means the name opened for reading is a link to another file.
var errIsLink = errors.New("a symbolic link or junction, not read as a file")

// openNoFollow opens the file at path for reading without following a
// symbolic link or junction put in its place: the name itself is opened
// (FILE_FLAG_OPEN_REPARSE_POINT), so such a link shows as one and is not
// read as the file. A file that is a reparse point of another kind
// (deduplicated, cloud placeholder) is opened again the usual way, so that
// its file-system filter hands out its data, and kept only if that is the
// same file. What it does not do on Windows: read the content of a link.
func openNoFollow(path string) (*os.File, error) {
	f, self, err := openStat(path, os.O_RDONLY|windows.O_FILE_FLAG_OPEN_REPARSE_POINT)
	if err != nil {
		return nil, err
	}
	attrs, ok := self.Sys().(*syscall.Win32FileAttributeData)
	if !ok || attrs.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT == 0 {
		return f, nil // not a reparse point: the handle reads the file itself
	}
	f.Close()
	if self.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errIsLink}
	}
	g, target, err := openStat(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	if !os.SameFile(self, target) {
		g.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errIsLink}
	}
	return g, nil
}

// openStat opens the file at path with flag and describes what it opened
// (through the handle, which identifies the file).
func openStat(path string, flag int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}
