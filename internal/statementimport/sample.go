package statementimport

import (
	"bytes"
	"fmt"
	"time"
)

// SampleCSV makes a statement export of n rows whose running balance is
// consistent (a credit of ₦50 and a debit of ₦12.34 in turn), for the
// benchmarks and the size tests.
func SampleCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(n*64 + 128)
	b.WriteString("Account Number,0123456789\nDate,Narration,Reference,Debit,Credit,Balance\n")
	bal := int64(0)
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, lagos)
	for i := range n {
		d := start.Add(time.Duration(i) * 5 * time.Minute).Format("02/01/2006 15:04:05")
		if i%3 == 0 {
			bal -= 1234
			fmt.Fprintf(&b, "%s,POS PURCHASE %d,R%d,%s,,\"%s\"\n", d, i, i, money(1234), money(bal))
		} else {
			bal += 5000
			fmt.Fprintf(&b, "%s,TRANSFER FROM CUSTOMER %d,R%d,,%s,\"%s\"\n", d, i, i, money(5000), money(bal))
		}
	}
	return b.Bytes()
}
