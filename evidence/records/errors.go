package records

import "errors"

// ErrRenewalBlocked means an evidence record due for renewal was not
// renewed: the TSA's certificate does not outlive the one it would
// replace, its token is of a retired algorithm, or the item's stored bytes
// do not match its record (docs/operations.md, "Renewing evidence
// records"). Its text is the one runs have recorded since renewals
// existed.
var ErrRenewalBlocked = errors.New("evidence: evidence-record renewal blocked")
