package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// stdString is what encoding/json writes for s, without HTML escaping.
func stdString(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendJSONString holds the hand encoder to encoding/json: the same
// bytes, or where Go versions spell a replacement differently the same
// string read back, for any string (invalid UTF-8 included).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "POS PURCHASE", `quote " back \ slash`, "tab\tnl\nret\r", "\x00\x1f\x7f", "naira ₦5,000 – café",
		"\u2028\u2029", "\xff\xfe bad utf8 \xc3", "<b>&amp;</b>", "emoji 🙂 ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		want := stdString(t, s)
		if bytes.Equal(got, want) {
			return
		}
		// Go versions differ in how they spell a replaced invalid byte
		// (\ufffd or the raw U+FFFD); what must agree is the string a
		// JSON reader gets back
		var g, w string
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: not a JSON string: %v", s, got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil || g != w {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json says %s", s, got, want)
		}
	})
}

func TestAppendTxnMatchesMonoShape(t *testing.T) {
	bal := int64(1021841)
	date := time.Date(2022, 5, 30, 17, 3, 0, 0, time.FixedZone("WAT", 3600))
	tx := kobo.Transaction{ID: "62a05bc04112ea670bd09812", Type: kobo.Debit, Amount: 147085, Narration: `VC POS "Loc"-215016609012--BOLA NURAT YUSUFF OY NG`,
		Date: date, Balance: &bal, Currency: "NGN", Category: "online_transactions"}
	for _, key := range []string{"_id", "id"} {
		var got map[string]any
		if err := json.Unmarshal(appendTxn(nil, &tx, key), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{key: tx.ID, "type": "debit", "amount": 147085.0, "narration": tx.Narration, "date": "2022-05-30T16:03:00.000Z",
			"balance": 1021841.0, "currency": "NGN", "category": "online_transactions"}
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", key, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", key, k, got[k], v)
			}
		}
	}
	tx.Balance = nil
	if b := appendTxn(nil, &tx, "id"); !bytes.Contains(b, []byte(`"balance":null`)) {
		t.Errorf("a missing balance must be null: %s", b)
	}
	// kobo's pending extension: only on rows not yet posted, still valid JSON
	tx.Pending = true
	var got map[string]any
	if err := json.Unmarshal(appendTxn(nil, &tx, "id"), &got); err != nil || got["pending"] != true {
		t.Errorf("pending row = %v, %v", got, err)
	}
	if _, ok := got["meta"]; ok {
		t.Errorf("a row without meta shows one: %v", got)
	}
	// kobo's meta extension: only on rows that have some, the bytes
	// encoding/json writes for the same map
	tx.Meta = kobo.TxnMeta{kobo.MetaMerchantName: `SPAR "Lekki" <1>`, kobo.MetaCounterpartyLast4: "6819", kobo.MetaEndToEndID: "E2E\n1"}
	b := appendTxn(nil, &tx, "id")
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(map[string]string(tx.Meta)); err != nil {
		t.Fatal(err)
	}
	if want := `,"meta":` + strings.TrimSuffix(enc.String(), "\n") + `}`; !strings.HasSuffix(string(b), want) {
		t.Errorf("row with meta = %s, want it to end %s", b, want)
	}
}

func TestAppendPaging(t *testing.T) {
	got := string(appendPaging(nil, 190, 2, "https://kobo.test/a?page=1", ""))
	if want := `{"total":190,"page":2,"previous":"https://kobo.test/a?page=1","next":null}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzAppendMonoTime holds the fast formatter to time.Format.
func FuzzAppendMonoTime(f *testing.F) {
	for _, v := range []int64{0, 1653926580123456789, -62135596800000000, 253402300799999999999 / 1000, 1796076001000000000} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, ns int64) {
		tm := time.Unix(0, ns).In(time.FixedZone("WAT", 3600))
		if got, want := string(appendMonoTime(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("appendMonoTime(%v) = %s, want %s", tm, got, want)
		}
	})
}
