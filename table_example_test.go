package custodia_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/classify"
)

// A host backs up a customer table record by record: the resident ID is
// stored encrypted and the address masked, and one record comes back by
// key with the resident ID decrypted.
func ExampleRepository_BackupTable() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-table-")
	defer os.RemoveAll(dir)
	r, err := custodia.Create(ctx, []string{dir}, []byte("example password, long enough"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	csv := "id,name,resident_id,address\n" +
		"1,王伟,11010519491231002X,北京市朝阳区建国路88号\n" +
		"2,李娜,110105194912310037,上海市浦东新区世纪大道100号\n"
	snap, err := r.BackupTable(ctx, "customers", []string{"id"}, classify.Read(strings.NewReader(csv), classify.CSV))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(snap.Table.Kind, snap.Table.Records, "records")
	for rec, err := range r.RestoreRecords(ctx, snap, [][]string{{"2"}}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		id, _ := rec.Get("resident_id")
		addr, _ := rec.Get("address")
		fmt.Println(id.Value, addr.Value != "上海市浦东新区世纪大道100号")
	}
	// Output:
	// full 2 records
	// 110105194912310037 true
}
