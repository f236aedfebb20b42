package enrich

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

type labelled struct {
	category, narration string
	typ                 kobo.TxnType
	line                int
}

func corpus(t testing.TB) []labelled {
	t.Helper()
	f, err := os.Open("testdata/narrations.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("line %d: want category<TAB>type<TAB>narration", n)
		}
		out = append(out, labelled{parts[0], parts[2], kobo.TxnType(parts[1]), n})
	}
	return out
}

func TestCategorizeCorpus(t *testing.T) {
	t.Parallel()
	c := corpus(t)
	if len(c) < 200 {
		t.Fatalf("the labelled corpus has %d lines, want at least 200", len(c))
	}
	confusion := map[string]int{}
	perCat := map[string][2]int{}
	for _, l := range c {
		got := Categorize(l.narration, l.typ, 1000)
		pc := perCat[l.category]
		pc[1]++
		if got == l.category {
			pc[0]++
		} else {
			confusion[l.category+" → "+got]++
			t.Errorf("line %d: %q (%s) = %s, want %s", l.line, l.narration, l.typ, got, l.category)
		}
		perCat[l.category] = pc
	}
	if t.Failed() {
		var keys []string
		for k := range confusion {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "  %-40s %d\n", k, confusion[k])
		}
		for cat, pc := range perCat {
			fmt.Fprintf(&b, "  %-20s %d/%d\n", cat, pc[0], pc[1])
		}
		t.Logf("confusion:\n%s", b.String())
	}
}

func FuzzCategorize(f *testing.F) {
	for _, l := range []string{"POS PURCHASE", "", "\x00", "SALARY ✓ ÀÉ", strings.Repeat("NIP/", 500)} {
		f.Add(l, true)
	}
	f.Fuzz(func(t *testing.T, n string, credit bool) {
		typ := kobo.Debit
		if credit {
			typ = kobo.Credit
		}
		c := Categorize(n, typ, 1)
		if c == "" {
			t.Fatal("empty category")
		}
	})
}

func BenchmarkCategorize(b *testing.B) {
	c := corpus(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := c[i%len(c)]
		Categorize(l.narration, l.typ, 1000)
	}
}
