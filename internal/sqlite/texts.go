package sqlite

// Statement texts are kept few and stable on purpose. Every text the store runs often
// is prepared once per connection and kept (stmts.go), and SQLite holds
// each compiled statement in memory: a 64-row upsert is tens of kilobytes
// of program. Multi-row statements built for whatever count arrived (1 to
// 71 transaction rows, 1 to 99 request-log rows, an IN list per claim
// size) made hundreds of distinct texts, prepared one by one as rarer
// sizes turned up, so the process grew for as long as it ran: the
// 5-minute soak's RSS rose 8-14 % with the Go heap flat. Now a batch is
// cut into a few fixed sizes and an IN list is padded to one, so the set
// of texts is small, known and prepared in the first seconds.
//
// A prepared statement is only worth keeping if SQLite runs it as
// compiled. It does not when the plan used a bound value: SQLite notes the
// parameter and compiles the statement again on every new binding. Its
// planner reads a bound LIMIT (to cost ORDER BY ... LIMIT), so every
// `LIMIT ?` was parsed and planned afresh on each run, the webhook claim
// and the transaction pages among them (a claim spent a fifth of its time
// in SQLite's parser). The limits are written `LIMIT (? + 0)`: the same
// value at run time, opaque to the planner, which plans as it did before
// it learnt to read bound limits. TestNoStatementIsRecompiled holds every
// statement the conformance suite runs to that.

// batchRows is how many of n remaining rows the next multi-row statement
// takes: one of four sizes, so a batch of any length is at most a handful
// of statements (64s, then at most three each of 16, 4 and 1).
func batchRows(n int) int {
	switch {
	case n >= 64:
		return 64
	case n >= 16:
		return 16
	case n >= 4:
		return 4
	default:
		return 1
	}
}

// inList returns placeholders for an IN list of n values padded up to a
// power of four, and appends copies of the last value to args to fill the
// padding (a repeated value changes nothing in an IN list). n must be > 0.
func inList(args []any, n int) (string, []any) {
	size := 1
	for size < n {
		size *= 4
	}
	for i := n; i < size; i++ {
		args = append(args, args[len(args)-1])
	}
	return placeholders(size), args
}
