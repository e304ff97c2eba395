package notary

import (
	"crypto"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// OIDs of RFC 3161 and RFC 5758, by the names the TSA uses (the token
// checks moved to internal/rfc3161, which uses internal/oids directly).
var (
	oidTSTInfo         = oids.TSTInfo
	oidECDSAWithSHA256 = oids.ECDSAWithSHA256
	oidECDSAWithSHA384 = oids.ECDSAWithSHA384
	oidECDSAWithSHA512 = oids.ECDSAWithSHA512
	oidSHA256WithRSA   = oids.SHA256WithRSA
)

// The constant DER parts of the TSA's tokens.
var (
	derSHA256Imprint = cms.AlgorithmID(oids.SHA256, true)
	derSHA384Imprint = cms.AlgorithmID(oids.SHA384, true)
	derSHA512Imprint = cms.AlgorithmID(oids.SHA512, true)
	derSM3Imprint    = cms.AlgorithmID(oids.SM3, true)
	derTSTInfoOID    = cms.MustOID(oidTSTInfo)
	// contentType attribute of a time-stamp token (RFC 3161 §2.4.2,
	// RFC 5652 §11.1): the eContentType, id-ct-TSTInfo.
	derContentTypeAttr = cms.ContentTypeAttribute(derTSTInfoOID)
	derVersion1        = cms.Int(1)
)

// hashes are the imprint hash functions the TSA accepts, with their
// AlgorithmIdentifier (parameters NULL, as OpenSSL writes them).
var hashes = map[crypto.Hash][]byte{
	crypto.SHA256: derSHA256Imprint,
	crypto.SHA384: derSHA384Imprint,
	crypto.SHA512: derSHA512Imprint,
	SM3:           derSM3Imprint,
}

// SM3 stands for the SM3 hash function where Stamp, Check and the Client
// take a crypto.Hash: the imprint of a token may be SM3 (in either suite).
// The crypto package has no SM3, so SM3.Size and SM3.New panic.
const SM3 = cms.SM3
