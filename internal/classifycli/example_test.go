package classifycli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/internal/classifycli"
)

func ExampleRun() {
	dir, _ := os.MkdirTemp("", "classify")
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "staff.csv")
	_ = os.WriteFile(data, []byte("name,id_no,mobile\n张三,11010519491231002X,13812345678\n"), 0o644)

	code := classifycli.Run(context.Background(), []string{"--json", data}, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// {
	//   "staff.name": {"type":"person_name","level":3,"action":"keep","confidence":0.61,"review":true,"reason":"few values"},
	//   "staff.id_no": {"type":"cn_resident_id","level":1,"action":"encrypt","confidence":0.61,"review":true,"reason":"few values"},
	//   "staff.mobile": {"type":"mobile_phone","level":3,"action":"keep","confidence":0.61,"review":true,"reason":"few values"}
	// }
	// exit 0
}
