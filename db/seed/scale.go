package seed

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// ScaleOptions size a synthetic world for scale measurements (issue 14).
type ScaleOptions struct {
	SystemUsers int // N system users
	Decisions   int // M logged decisions, spread over DecisionDays
	// DecisionDays is how far back the decisions go (default 30).
	DecisionDays int
	// Seed makes the world reproducible (default 1).
	Seed uint64
	Now  time.Time // default time.Now()
}

// ScaleWorld says what ScaleLoad created, for the measurements to aim at.
type ScaleWorld struct {
	ServiceOwner string
	Resources    []string // each with action "read"
	Vendors      []string
	Systems      []string // SystemsPerVendor per vendor, vendor-major
	Customers    []string
	// Up to 1000 system users picked evenly across the world, with their
	// system and owner: measurements look these up.
	Samples  []ScaleSample
	Duration time.Duration
}

// ScaleSample is one seeded system user.
type ScaleSample struct {
	ID          uuid.UUID
	SystemID    string
	Vendor      string
	Owner       string
	ExternalRef string
	Resource    string // it holds "read" on this resource
}

// ScaleClientID is the Maskinporten client id of a scale system.
func ScaleClientID(systemID string) string { return "scale-" + systemID }

// The world's shape: a vendor for every 10 000 system users (at least
// one), two systems each, a customer for every ten system users; every
// system user holds "read" on one of ten resources.
const (
	scaleUsersPerVendor   = 10_000
	scaleSystemsPerVendor = 2
	scaleUsersPerCustomer = 10
	scaleResources        = 10
	scaleOrgBase          = 60_000_000 // 8-digit bases of the generated org numbers
)

// ScaleLoad adds a synthetic world of opts.SystemUsers system users and
// opts.Decisions decisions with COPY, in batches. It coexists with the demo
// and world seeds (its organisation numbers start at 600000000); it refuses
// to run twice on one database. Triggers (change events, per-row checks)
// are disabled for its connection when the role may do so
// (session_replication_role needs a superuser): a million change events
// would only flood the listeners.
func ScaleLoad(ctx context.Context, bdb *bun.DB, opts ScaleOptions) (*ScaleWorld, error) {
	start := time.Now()
	if opts.SystemUsers < 1 {
		return nil, fmt.Errorf("seed: scale: want at least one system user")
	}
	if opts.DecisionDays <= 0 {
		opts.DecisionDays = 30
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	nVendors := max(1, opts.SystemUsers/scaleUsersPerVendor)
	nCustomers := max(1, opts.SystemUsers/scaleUsersPerCustomer)
	orgs := validOrgNumbers(scaleOrgBase, 1+nVendors+nCustomers)
	w := &ScaleWorld{ServiceOwner: orgs[0], Vendors: orgs[1 : 1+nVendors], Customers: orgs[1+nVendors:]}
	var exists bool
	if err := bdb.NewRaw("SELECT EXISTS (SELECT 1 FROM organizations WHERE org_number = ?)", w.ServiceOwner).Scan(ctx, &exists); err != nil {
		return nil, fmt.Errorf("seed: scale: %w", err)
	}
	if exists {
		return nil, fmt.Errorf("seed: scale: this database already holds a scale world (organisation %s)", w.ServiceOwner)
	}

	conn, err := bdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: scale: %w", err)
	}
	defer conn.Close()
	copyRows := func(table string, cols string, n int, row func(b []byte, i int) []byte) error {
		const batch = 50_000
		var buf bytes.Buffer
		for lo := 0; lo < n; lo += batch {
			buf.Reset()
			for i := lo; i < min(lo+batch, n); i++ {
				buf.Write(row(buf.AvailableBuffer(), i))
			}
			if _, err := pgdriver.CopyFrom(ctx, conn, &buf, "COPY "+table+" ("+cols+") FROM STDIN"); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				return fmt.Errorf("seed: scale: copy %s: %w", table, err)
			}
		}
		return nil
	}
	line := func(b []byte, fields ...string) []byte {
		for i, f := range fields {
			if i > 0 {
				b = append(b, '\t')
			}
			b = append(b, f...)
		}
		return append(b, '\n')
	}

	if err := copyRows("organizations", "org_number, name", len(orgs), func(b []byte, i int) []byte {
		return line(b, orgs[i], "Scale org "+strconv.Itoa(i))
	}); err != nil {
		return nil, err
	}
	// From here on, best effort: without the privilege the triggers simply
	// run. (Organisations go first, with their triggers: one fills in the
	// party uuid.)
	if _, err := conn.ExecContext(ctx, "SET session_replication_role = replica"); err == nil {
		defer conn.ExecContext(context.WithoutCancel(ctx), "SET session_replication_role = DEFAULT") //nolint:errcheck // the connection is closed next
	}
	for i := range scaleResources {
		w.Resources = append(w.Resources, "scale-res-"+strconv.Itoa(i))
	}
	if err := copyRows("resources", "id, owner_org, title_nb, title_nn, title_en", scaleResources, func(b []byte, i int) []byte {
		return line(b, w.Resources[i], w.ServiceOwner, w.Resources[i], w.Resources[i], w.Resources[i])
	}); err != nil {
		return nil, err
	}
	if err := copyRows("resource_actions", "resource_id, action", scaleResources, func(b []byte, i int) []byte {
		return line(b, w.Resources[i], "read")
	}); err != nil {
		return nil, err
	}
	for _, v := range w.Vendors {
		for j := range scaleSystemsPerVendor {
			w.Systems = append(w.Systems, v+"_scale"+strconv.Itoa(j))
		}
	}
	if err := copyRows("systems", "id, vendor_org, name_nb, name_nn, name_en", len(w.Systems), func(b []byte, i int) []byte {
		return line(b, w.Systems[i], w.Systems[i][:9], w.Systems[i], w.Systems[i], w.Systems[i])
	}); err != nil {
		return nil, err
	}
	if err := copyRows("system_clients", "client_id, system_id", len(w.Systems), func(b []byte, i int) []byte {
		return line(b, ScaleClientID(w.Systems[i]), w.Systems[i])
	}); err != nil {
		return nil, err
	}
	if err := copyRows("system_rights", "system_id, resource_id, action", len(w.Systems)*scaleResources, func(b []byte, i int) []byte {
		return line(b, w.Systems[i/scaleResources], w.Resources[i%scaleResources], "read")
	}); err != nil {
		return nil, err
	}

	// System user i: system i % systems, customer i % customers, resource
	// i % resources; created one millisecond apart, oldest first.
	n := opts.SystemUsers
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuidFrom(rng)
	}
	created := opts.Now.Add(-time.Duration(n) * time.Millisecond)
	if err := copyRows("system_users", "id, integration_title, system_id, owner_org, external_ref, user_type, created_at, updated_at", n,
		func(b []byte, i int) []byte {
			at := created.Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339Nano)
			return line(b, ids[i].String(), "Scale integration", w.Systems[i%len(w.Systems)], w.Customers[i%len(w.Customers)],
				"ref-"+strconv.Itoa(i), "standard", at, at)
		}); err != nil {
		return nil, err
	}
	if err := copyRows("system_user_rights", "system_user_id, resource_id, action", n, func(b []byte, i int) []byte {
		return line(b, ids[i].String(), w.Resources[i%scaleResources], "read")
	}); err != nil {
		return nil, err
	}
	// Up to 1000 samples, evenly spread: enough distinct system users for
	// an uncached measurement to meet each once.
	step := max(1, n/1000)
	for i := 0; i < n; i += step {
		w.Samples = append(w.Samples, ScaleSample{ID: ids[i], SystemID: w.Systems[i%len(w.Systems)],
			Vendor: w.Systems[i%len(w.Systems)][:9], Owner: w.Customers[i%len(w.Customers)],
			ExternalRef: "ref-" + strconv.Itoa(i), Resource: w.Resources[i%scaleResources]})
	}

	// Decisions: spread evenly over the last DecisionDays, about random
	// system users, asked by the service owner, each about the system
	// user's owner. Partitions for those days exist first.
	if opts.Decisions > 0 {
		from := opts.Now.UTC().AddDate(0, 0, -opts.DecisionDays)
		if _, err := conn.ExecContext(ctx, "SELECT decisions_ensure_partitions(?::date, ?::date)",
			from.Format(time.DateOnly), opts.Now.UTC().Format(time.DateOnly)); err != nil {
			return nil, fmt.Errorf("seed: scale: decision partitions: %w", err)
		}
		span := opts.Now.Sub(from)
		m := opts.Decisions
		if err := copyRows("decisions", "id, decided_at, caller_org, system_user_id, system_id, owner_org, action, resource_id, party_org, result, reason_code, reason, permitted_by, latency_us", m,
			func(b []byte, k int) []byte {
				i := rng.IntN(n)
				at := from.Add(time.Duration(int64(span) / int64(m) * int64(k))).UTC().Format(time.RFC3339Nano)
				owner := w.Customers[i%len(w.Customers)]
				res := w.Resources[i%scaleResources]
				return line(b, uuidFrom(rng).String(), at, w.ServiceOwner, ids[i].String(), w.Systems[i%len(w.Systems)], owner,
					"read", res, owner, "Permit", "PERMIT_RIGHT", "granted by a right", res+":read", strconv.Itoa(50+rng.IntN(200)))
			}); err != nil {
			return nil, err
		}
	}
	// The live counts per system (system_user_counts): the trigger that
	// keeps them was off for COPY when the role could turn triggers off, so
	// they are set from the rows, for the systems loaded here.
	if _, err := conn.ExecContext(ctx, `INSERT INTO system_user_counts (system_id, live)
		SELECT system_id, count(*) FROM system_users WHERE deleted_at IS NULL AND system_id IN (?) GROUP BY system_id
		ON CONFLICT (system_id) DO UPDATE SET live = EXCLUDED.live`, bun.In(w.Systems)); err != nil {
		return nil, fmt.Errorf("seed: scale: system user counts: %w", err)
	}
	// Statistics for the planner, table by table: one ANALYZE of the whole
	// database (or of the partitioned parent, which samples every
	// partition) outlasts the pool's read timeout at ten million decisions.
	var tables []string
	if err := bdb.NewRaw(`SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname = current_schema()`).Scan(ctx, &tables); err != nil {
		return nil, fmt.Errorf("seed: scale: list tables: %w", err)
	}
	for _, t := range tables {
		if _, err := conn.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return nil, fmt.Errorf("seed: scale: analyze %s: %w", t, err)
		}
	}
	w.Duration = time.Since(start)
	return w, nil
}

func uuidFrom(rng *rand.Rand) uuid.UUID {
	var u uuid.UUID
	hi, lo := rng.Uint64(), rng.Uint64()
	for i := range 8 {
		u[i], u[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
	}
	u[6] = (u[6] & 0x0f) | 0x40 // version 4
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u
}

// validOrgNumbers returns n organisation numbers with valid mod-11 check
// digits, from the 8-digit base upward.
func validOrgNumbers(base, n int) []string {
	weights := [8]int{3, 2, 7, 6, 5, 4, 3, 2}
	out := make([]string, 0, n)
	for b := base; len(out) < n; b++ {
		digits := fmt.Sprintf("%08d", b)
		sum := 0
		for i, wt := range weights {
			sum += int(digits[i]-'0') * wt
		}
		switch r := sum % 11; r {
		case 0:
			out = append(out, digits+"0")
		case 1:
		default:
			out = append(out, digits+strconv.Itoa(11-r))
		}
	}
	return out
}
