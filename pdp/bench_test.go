package pdp

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

// The decision log is part of every Authorize (its queue; writes are off
// the hot path but back-pressure counts), so these measure it too.
func BenchmarkAuthorizeCached(b *testing.B) {
	f := newFixture(b)
	e := startEngine(b, f.bdb, Options{})
	req := Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg}
	ctx := context.Background()
	if d, _ := e.Authorize(ctx, req); d.Result != Permit {
		b.Fatal(d.ReasonCode)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if d, _ := e.Authorize(ctx, req); d.Result != Permit {
				b.Fatal(d.ReasonCode)
			}
		}
	})
}

// BenchmarkAuthorizeUncached: the system user is dropped before every
// call, so each costs its one SQL round trip (the catalog stays cached).
func BenchmarkAuthorizeUncached(b *testing.B) {
	f := newFixture(b)
	e := startEngine(b, f.bdb, Options{})
	req := Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e.cache.dropSubject(f.standard)
		if d, _ := e.Authorize(ctx, req); d.Result != Permit {
			b.Fatal(d.ReasonCode)
		}
	}
}

// BenchmarkAuthorizeXACMLCached is the REST route's work after auth: parse
// the XACML body, decide from the cache, render the answer.
func BenchmarkAuthorizeXACMLCached(b *testing.B) {
	f := newFixture(b)
	e := startEngine(b, f.bdb, Options{})
	body := []byte(xacmlSingle(f.standard.String(), "read", "pkg-res", ownerOrg))
	ctx := context.Background()
	if out, _ := e.AuthorizeXACML(ctx, body, callerOrg); !bytes.Contains(out, []byte(`"decision":"Permit"`)) {
		b.Fatalf("%s", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.AuthorizeXACML(ctx, body, callerOrg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkXACMLCodec is parsing and rendering alone (no engine), for the
// usual array shape and the one-object shape that takes the general path.
func BenchmarkXACMLCodec(b *testing.B) {
	id := uuid.New().String()
	arrays := []byte(xacmlSingle(id, "read", "pkg-res", ownerOrg))
	objects := []byte(`{"Request":{"AccessSubject":{"Attribute":{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + id + `"}},
  "Action":{"Attribute":{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}},
  "Resource":{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"pkg-res"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + ownerOrg + `"}]}}}`)
	for _, c := range []struct {
		name string
		body []byte
	}{{"Arrays", arrays}, {"Objects", objects}} {
		b.Run(c.name, func(b *testing.B) {
			results := []verdict{{result: Permit, code: PermitPackage}}
			b.ReportAllocs()
			for b.Loop() {
				items := parseXACML(c.body, callerOrg, 10)
				if items[0].fixed != nil {
					b.Fatal(items[0].fixed.reason)
				}
				formatXACML(items, results)
			}
		})
	}
}

// BenchmarkDecisionLogWrite is the log writer's ingest rate: one COPY of a
// default-size batch per op. Sustained authorize throughput cannot exceed
// it (the queue applies back-pressure).
func BenchmarkDecisionLogWrite(b *testing.B) {
	bdb := dbtest.New(b)
	l := startDecisionLog(bdb, slog.New(slog.DiscardHandler), LogOptions{})
	b.Cleanup(func() { _ = l.close(context.Background()) })
	batch := make([]Decision, l.opts.Batch)
	for i := range batch {
		batch[i] = Decision{Result: Permit, ReasonCode: PermitPackage, Reason: "access package " + pkgURN + " contains the resource",
			PermittedBy: "package:" + pkgURN, SystemUserID: uuid.New(), SystemID: systemID, OwnerOrg: ownerOrg, Action: "read",
			ResourceID: "pkg-res", PartyOrg: ownerOrg, CallerOrg: callerOrg, Latency: 3 * time.Microsecond, DecidedAt: time.Now()}
	}
	rows := 0
	for b.Loop() {
		for i := range batch {
			batch[i].ID = newID()
		}
		if err := l.write(batch); err != nil {
			b.Fatal(err)
		}
		rows += len(batch)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLoadSubjects is the uncached path's one round trip alone, for
// the agent system user (the widest row: rights, packages and clients),
// on one connection so that pool hand-offs do not blur it.
func BenchmarkLoadSubjects(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	conn, err := f.bdb.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ids := []uuid.UUID{f.agent}
	b.ReportAllocs()
	for b.Loop() {
		s, err := loadSubjects(ctx, conn, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(s[f.agent].clients) != 2 {
			b.Fatalf("clients %v", s[f.agent].clients)
		}
	}
}
