package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
)

// DefaultRequestTimeout is Altinn's age after which a request is timed out.
const DefaultRequestTimeout = 180 * 24 * time.Hour

// Options configures a Service.
type Options struct {
	Now            func() time.Time // clock; time.Now by default
	RequestTimeout time.Duration    // DefaultRequestTimeout by default
	PublicURL      string           // gateway base URL, used in confirm URLs
	Logger         *slog.Logger     // slog.Default() by default
}

// Service holds every rule of the registry. It is safe for concurrent use.
type Service struct {
	db        *bun.DB
	now       func() time.Time
	timeout   time.Duration
	publicURL string
	log       *slog.Logger
}

// New returns a Service on bdb.
func New(bdb *bun.DB, opts Options) *Service {
	s := &Service{
		db:        bdb,
		now:       opts.Now,
		timeout:   opts.RequestTimeout,
		publicURL: strings.TrimRight(opts.PublicURL, "/"),
		log:       opts.Logger,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// inTx runs fn in one READ COMMITTED transaction; the compare-and-swap
// updates and unique indexes make a stronger isolation level unnecessary,
// but a deadlock (40P01) is still retried a few times.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var err error
	for range 5 {
		err = s.db.RunInTx(ctx, &sql.TxOptions{}, fn)
		if err == nil || !db.IsSerializationFailure(err) {
			return err
		}
	}
	return err
}

// confirmURL is Altinn's confirm page path on our host.
func (s *Service) confirmURL(kind string, id fmt.Stringer) string {
	return s.publicURL + "/accessmanagement/ui/systemuser/" + kind + "?id=" + id.String() + "&DONTCHOOSEREPORTEE=true"
}

func (s *Service) timedOut(created time.Time) bool {
	return s.now().Sub(created) > s.timeout
}

// internal wraps an unexpected error with the operation that failed.
func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("registry: %s: %w", op, err)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
