package gateway

// DefaultGCPercent is the Go runtime's GC percent the gateway runs with
// (systemuser gateway and dev, --gc-percent; GOGC in the environment wins).
// A nested GraphQL read leaves about 150 KiB of garbage (gqlgen's
// executor: a field context, a context value and closures per field), while
// the gateway's live heap is small, about 20 MiB under load. With Go's
// default of 100 the nested read of issue 14 ran 18 collections a second
// under wrk, and each one also shrank the stacks of the parked goroutines
// that the next requests grew again. 400 runs about a quarter as many, for
// about 110 MiB from the OS instead of 60 MiB under that load.
const DefaultGCPercent = 400
