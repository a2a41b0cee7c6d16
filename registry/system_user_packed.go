package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// packedSystemUserSQL is a system user (su) as one text value: the first
// pages' rows carry it so (migration 20261201060000 says why, and holds the
// same expression). unpackSystemUser reads it.
const packedSystemUserSQL = `su.id::text || octet_length(su.owner_org) || ':' || su.owner_org` +
	` || octet_length(su.integration_title) || ':' || su.integration_title` +
	` || octet_length(su.external_ref) || ':' || su.external_ref` +
	` || octet_length(su.user_type) || ':' || su.user_type || su.created_at`

var errPacked = errors.New("malformed packed system user")

// unpackSystemUser fills r's id, creation time, owner, title, reference
// and type from a packedSystemUserSQL value. The strings are cut out of
// packed, not copied: one allocation holds them all.
func unpackSystemUser(packed string, r *systemUserRow) error {
	const idLen = 36
	if len(packed) < idLen {
		return fmt.Errorf("%w: %d bytes", errPacked, len(packed))
	}
	id, err := uuid.Parse(packed[:idLen])
	if err != nil {
		return fmt.Errorf("%w: %w", errPacked, err)
	}
	r.ID = id
	rest := packed[idLen:]
	for _, field := range []*string{&r.OwnerOrg, &r.IntegrationTitle, &r.ExternalRef, &r.UserType} {
		if *field, rest, err = cutCounted(rest); err != nil {
			return err
		}
	}
	if r.CreatedAt, err = parseTimestamptz(rest); err != nil {
		return fmt.Errorf("%w: %w", errPacked, err)
	}
	return nil
}

// cutCounted cuts "<n>:<n bytes>" off the front of s.
func cutCounted(s string) (field, rest string, err error) {
	digits, after, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: no length", errPacked)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n > len(after) {
		return "", "", fmt.Errorf("%w: length %q of %d bytes", errPacked, digits, len(after))
	}
	return after[:n], after[n:], nil
}
