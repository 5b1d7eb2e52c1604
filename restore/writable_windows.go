package restore

import "os"

// checkWritable reports why this process may not create entries in the
// folder dir, or nil. Windows has no access(2) that weighs the folder's
// access control list for this process, so it creates an empty file in
// dir and removes it. It does not check the rights to change or remove
// what dir already holds (overwriting finds those out entry by entry).
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".custodia-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
