// Package tablegen generates deterministic customer tables for the tests
// and benchmarks of table backups: valid resident IDs (GB 11643) and bank
// card numbers (Luhn), phones, addresses, e-mails and balances, and a next
// version with some records changed, added and deleted.
package tablegen

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/custodia-backup/custodia/classify"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Header is the CSV header of a customer table.
const Header = "id,name,resident_id,bank_card,phone,email,address,balance,updated_at"

// Customer is one generated record.
type Customer struct {
	ID                                 int
	Name, ResidentID, BankCard, Phone  string
	Email, Address, Balance, UpdatedAt string
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明"}
	cities   = []string{"北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区", "成都市武侯区"}
	roads    = []string{"建国路", "人民路", "解放路", "中山路", "和平路", "长江路"}
)

// Gen makes customers from a seed.
type Gen struct{ Seed uint64 }

// Customer returns customer id at version v: a customer changed in a
// version has a new phone, card, address, balance and update time.
func (g Gen) Customer(id, version int) Customer {
	rv := 1
	for v := 2; v <= version; v++ {
		if g.changed(id, v) {
			rv = v
		}
	}
	r := rand.New(rand.NewPCG(g.Seed^uint64(id), uint64(rv)*0x9e3779b97f4a7c15))
	base := rand.New(rand.NewPCG(g.Seed^uint64(id), 7))
	c := Customer{ID: id}
	c.Name = surnames[base.IntN(len(surnames))] + given[base.IntN(len(given))] + given[base.IntN(len(given))]
	c.ResidentID = residentID(base)
	c.Email = fmt.Sprintf("user%d@example.cn", id)
	c.BankCard = bankCard(r)
	c.Phone = "1" + strconv.Itoa(3+r.IntN(7)) + digits(r, 9)
	c.Address = fmt.Sprintf("%s%s%d号%d室", cities[r.IntN(len(cities))], roads[r.IntN(len(roads))], 1+r.IntN(300), 100+r.IntN(2000))
	c.Balance = fmt.Sprintf("%d.%02d", r.IntN(1000000), r.IntN(100))
	c.UpdatedAt = fmt.Sprintf("2026-%02d-%02dT10:00:00Z", 1+rv%12, 1+id%28)
	return c
}

func (g Gen) hash(id, v int, salt uint64) float64 {
	r := rand.New(rand.NewPCG(g.Seed^uint64(id)*0x9e37, uint64(v)^salt))
	return r.Float64()
}

func (g Gen) changed(id, v int) bool { return g.hash(id, v, 1) < 0.01 }

// Exists reports whether customer id exists at version v of a table of n
// base customers: ~1% are appended per version and ~0.2% deleted.
func (g Gen) Exists(id, n, v int) bool {
	if id < 1 || id > n+v*n/100-n/100 {
		return false
	}
	for w := 2; w <= v; w++ {
		if g.hash(id, w, 2) < 0.002 {
			return false
		}
	}
	return true
}

// CSV returns version v of a table of n base customers, sorted by id.
func (g Gen) CSV(n, v int) []byte {
	var b bytes.Buffer
	b.WriteString(Header + "\n")
	for id := 1; id <= n+(v-1)*n/100; id++ {
		if !g.Exists(id, n, v) {
			continue
		}
		g.writeLine(&b, g.Customer(id, v))
	}
	return b.Bytes()
}

func (g Gen) writeLine(w io.Writer, c Customer) {
	fmt.Fprintf(w, "%d,%s,%s,%s,%s,%s,%s,%s,%s\n", c.ID, c.Name, c.ResidentID, c.BankCard, c.Phone, c.Email, c.Address, c.Balance, c.UpdatedAt)
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

var idWeights = []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

func residentID(r *rand.Rand) string {
	s := fmt.Sprintf("%d%02d%02d%04d%02d%02d%s", 11+r.IntN(40), 1+r.IntN(9), 1+r.IntN(20), 1950+r.IntN(56), 1+r.IntN(12), 1+r.IntN(28), digits(r, 3))
	sum := 0
	for i := range 17 {
		sum += int(s[i]-'0') * idWeights[i]
	}
	return s + string("10X98765432"[sum%11])
}

func bankCard(r *rand.Rand) string {
	body := []byte("622202" + digits(r, 12))
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return string(body) + string(byte('0'+(10-sum%10)%10))
}

// Expect returns what a restore of rec must show under plan: kept and
// encrypted fields as they are, masked ones masked (as strings), dropped
// ones absent, nulls (here: empty values) as they are. Fields the plan does not name are kept.
func Expect(plan *classify.Plan, rec classify.Record) classify.Record {
	var out classify.Record
	for _, f := range rec {
		d, ok := plan.Decision(f.Name)
		if ok && d.Action.Kind == classify.ActionDrop {
			continue
		}
		null := f.Kind == classify.KindNull || f.Kind == classify.KindEmpty || strings.TrimSpace(f.Value) == ""
		if ok && d.Action.Kind == classify.ActionMask && !null {
			m := d.Type.DefaultMask()
			if d.Action.Mask != nil {
				m = *d.Action.Mask
			}
			f = classify.Field{Name: f.Name, Value: m.Apply(f.Value), Kind: classify.KindString}
		}
		out = append(out, f)
	}
	return out
}

// Reader streams version v of a table of n base customers as CSV, generated
// as it is read: memory does not grow with n.
func (g Gen) Reader(n, v int) io.Reader { return g.reader(n, v, false) }

// ShuffledReader is Reader with the customers in a scrambled order (a
// fixed permutation of the ids), as an export not ordered by key: a table
// backup sorts them.
func (g Gen) ShuffledReader(n, v int) io.Reader { return g.reader(n, v, true) }

func (g Gen) reader(n, v int, shuffled bool) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		bw.WriteString(Header + "\n")
		m := n + (v-1)*n/100
		// The ids 1..m visited with a stride coprime with m: each once.
		stride := 1
		if shuffled && m > 2 {
			for stride = m*5/8 + 1; gcd(stride, m) != 1; stride++ {
			}
		}
		for i := range m {
			id := i*stride%m + 1
			if !g.Exists(id, n, v) {
				continue
			}
			g.writeLine(bw, g.Customer(id, v))
		}
		bw.Flush()
		pw.Close()
	}()
	return pr
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
