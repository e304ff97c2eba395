package notary

import "github.com/custos-project/custos/internal/rfc3161"

// The parts of the offline check (package rfc3161) that this package's
// tests compare with a reference or probe with a TSA's tokens.
var (
	checkContentType  = rfc3161.CheckContentType
	checkSigningCert  = rfc3161.CheckSigningCert
	checkSignatureDER = rfc3161.CheckSignatureDER
	berElement        = rfc3161.BERElement
	berIdentity       = rfc3161.BERIdentity
)

type statusInfo = rfc3161.StatusInfo
