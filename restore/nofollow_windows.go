package restore

// oNoFollow adds nothing on Windows: the files are created with O_EXCL,
// which there opens the name itself (CREATE_NEW with
// FILE_FLAG_OPEN_REPARSE_POINT) and fails on anything in its place, a
// symbolic link or junction included; it does not follow one.
const oNoFollow = 0
