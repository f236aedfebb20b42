package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's utime and stime:
// 100 on every Linux the bench runs on.
const clockTicks = 100

// procCPU is the CPU time (user + system) pid has used, 0 when it cannot
// be read (not Linux, the process gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// the command name is in parentheses and may hold spaces: fields count
	// from after its closing one (utime and stime are fields 14 and 15)
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clockTicks
}

// cpuSample is the CPU time used so far by kobo processes and by the
// Postgres backends serving the bench's database.
type cpuSample struct {
	kobo, postgres time.Duration
	pg             map[int]time.Duration
}

// sampleCPU reads the CPU time of pids and, when url is a Postgres
// database on this machine, of its server's backends connected to it
// (their pids from pg_stat_activity: a backend is one process per
// connection, so what a figure costs the server is theirs). A backend that
// exits between two samples is not counted; the pools keep theirs open.
func sampleCPU(ctx context.Context, url string, pids ...int) cpuSample {
	var s cpuSample
	for _, p := range pids {
		s.kobo += procCPU(p)
	}
	if url == "" {
		return s
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return s
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return s
	}
	defer rows.Close()
	s.pg = map[int]time.Duration{}
	for rows.Next() {
		var pid int32
		if rows.Scan(&pid) == nil {
			s.pg[int(pid)] = procCPU(int(pid))
		}
	}
	return s
}

// since is the CPU time used from s0 to s: kobo's, and that of the
// backends seen in both samples or started after s0.
func (s cpuSample) since(s0 cpuSample) (kobo, postgres time.Duration) {
	for pid, t := range s.pg {
		postgres += t - s0.pg[pid]
	}
	return s.kobo - s0.kobo, postgres
}
