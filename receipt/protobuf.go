package receipt

// This file decodes and encodes the few protobuf messages of CometBFT
// v0.38 that a checkpoint holds (tendermint.types.SignedHeader and
// ValidatorSet, with what they contain) and the CanonicalVote a validator
// signs, without CometBFT's generated code, so that the verifier links no
// CometBFT or gogoproto package. The Go field names are those of CometBFT's
// generated types (github.com/cometbft/cometbft/proto/tendermint/types),
// and each encoder writes what gogoproto's Marshal writes: fields in
// ascending order, proto3 scalars and bytes only when not zero, embedded
// messages marked (gogoproto.nullable) = false always, nullable ones when
// set, and google.protobuf.Timestamp for a time (gogoproto.stdtime).
//
// A checkpoint must be the canonical encoding of what it decodes to
// (unmarshalCanonical), so the decoders need not be strict: they refuse
// malformed input, unknown fields and wrong wire types, and leave the rest
// (non-minimal varints, repeated or reordered fields, zero values written
// out) to the re-encoding. protobuf_test.go checks both directions against
// CometBFT's generated code on random and mutated messages.

import "time"

// pbBlockIDFlag is tendermint.types.BlockIDFlag.
type pbBlockIDFlag int32

const (
	flagAbsent pbBlockIDFlag = 1
	flagCommit pbBlockIDFlag = 2
	flagNil    pbBlockIDFlag = 3
)

// precommitType is tendermint.types.SignedMsgType PRECOMMIT.
const precommitType = 2

// The messages, with CometBFT's Go field names.
type (
	pbConsensus struct{ Block, App uint64 } // tendermint.version.Consensus

	pbPartSetHeader struct { // PartSetHeader and CanonicalPartSetHeader
		Total uint32
		Hash  []byte
	}

	pbBlockID struct { // BlockID and CanonicalBlockID
		Hash          []byte
		PartSetHeader pbPartSetHeader
	}

	pbHeader struct {
		Version            pbConsensus
		ChainID            string
		Height             int64
		Time               time.Time
		LastBlockId        pbBlockID
		LastCommitHash     []byte
		DataHash           []byte
		ValidatorsHash     []byte
		NextValidatorsHash []byte
		ConsensusHash      []byte
		AppHash            []byte
		LastResultsHash    []byte
		EvidenceHash       []byte
		ProposerAddress    []byte
	}

	pbCommitSig struct {
		BlockIdFlag      pbBlockIDFlag
		ValidatorAddress []byte
		Timestamp        time.Time
		Signature        []byte
	}

	pbCommit struct {
		Height     int64
		Round      int32
		BlockID    pbBlockID
		Signatures []pbCommitSig
	}

	pbSignedHeader struct {
		Header *pbHeader
		Commit *pbCommit
	}

	// pbPublicKey is tendermint.crypto.PublicKey: a oneof of byte keys;
	// Kind is the field number of the one set (1 Ed25519, 2 secp256k1,
	// 4 ML-DSA-65), 0 for none.
	pbPublicKey struct {
		Kind int
		Key  []byte
	}

	pbValidator struct {
		Address          []byte
		PubKey           pbPublicKey
		VotingPower      int64
		ProposerPriority int64
	}

	pbValidatorSet struct {
		Validators       []*pbValidator
		Proposer         *pbValidator
		TotalVotingPower int64
	}

	pbCanonicalVote struct {
		Type      int32
		Height    int64
		Round     int64
		BlockID   *pbBlockID // CanonicalBlockID; nil for a vote for no block
		Timestamp time.Time
		ChainID   string
	}
)

func (m *pbConsensus) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setUint64(f, &m.Block)
		case 2:
			return setUint64(f, &m.App)
		}
		return errUnknownField
	})
}

func (m *pbConsensus) encode(b []byte) []byte {
	return appendVarintField(appendVarintField(b, 1, m.Block), 2, m.App)
}

func (m *pbPartSetHeader) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			u, err := f.varint()
			m.Total = uint32(u)
			return err
		case 2:
			return setBytes(f, &m.Hash)
		}
		return errUnknownField
	})
}

func (m *pbPartSetHeader) encode(b []byte) []byte {
	return appendBytesField(appendVarintField(b, 1, uint64(m.Total)), 2, m.Hash)
}

func (m *pbBlockID) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setBytes(f, &m.Hash)
		case 2:
			return f.message(m.PartSetHeader.decode)
		}
		return errUnknownField
	})
}

func (m *pbBlockID) encode(b []byte) []byte {
	return appendMessage(appendBytesField(b, 1, m.Hash), 2, m.PartSetHeader.encode)
}

// hashes are the fields of a Header from 6 on, all bytes.
func (m *pbHeader) hashes() []*[]byte {
	return []*[]byte{&m.LastCommitHash, &m.DataHash, &m.ValidatorsHash, &m.NextValidatorsHash,
		&m.ConsensusHash, &m.AppHash, &m.LastResultsHash, &m.EvidenceHash, &m.ProposerAddress}
}

func (m *pbHeader) decode(b []byte) error {
	hashes := m.hashes()
	return eachField(b, func(f wireField) (err error) {
		switch f.num {
		case 1:
			return f.message(m.Version.decode)
		case 2:
			return setString(f, &m.ChainID)
		case 3:
			return setInt64(f, &m.Height)
		case 4:
			return f.message(func(b []byte) (err error) { m.Time, err = decodeTime(b); return err })
		case 5:
			return f.message(m.LastBlockId.decode)
		}
		if f.num >= 6 && f.num < 6+len(hashes) {
			return setBytes(f, hashes[f.num-6])
		}
		return errUnknownField
	})
}

func (m *pbHeader) encode(b []byte) []byte {
	b = appendMessage(b, 1, m.Version.encode)
	b = appendBytesField(b, 2, m.ChainID)
	b = appendVarintField(b, 3, uint64(m.Height))
	b = appendMessage(b, 4, func(b []byte) []byte { return appendTime(b, m.Time) })
	b = appendMessage(b, 5, m.LastBlockId.encode)
	for i, h := range m.hashes() {
		b = appendBytesField(b, 6+i, *h)
	}
	return b
}

func (m *pbCommitSig) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setInt32(f, (*int32)(&m.BlockIdFlag))
		case 2:
			return setBytes(f, &m.ValidatorAddress)
		case 3:
			return f.message(func(b []byte) (err error) { m.Timestamp, err = decodeTime(b); return err })
		case 4:
			return setBytes(f, &m.Signature)
		}
		return errUnknownField
	})
}

func (m *pbCommitSig) encode(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(int64(m.BlockIdFlag)))
	b = appendBytesField(b, 2, m.ValidatorAddress)
	b = appendMessage(b, 3, func(b []byte) []byte { return appendTime(b, m.Timestamp) })
	return appendBytesField(b, 4, m.Signature)
}

func (m *pbCommit) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setInt64(f, &m.Height)
		case 2:
			return setInt32(f, &m.Round)
		case 3:
			return f.message(m.BlockID.decode)
		case 4:
			m.Signatures = append(m.Signatures, pbCommitSig{})
			return f.message(m.Signatures[len(m.Signatures)-1].decode)
		}
		return errUnknownField
	})
}

func (m *pbCommit) encode(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(m.Height))
	b = appendVarintField(b, 2, uint64(int64(m.Round)))
	b = appendMessage(b, 3, m.BlockID.encode)
	for i := range m.Signatures {
		b = appendMessage(b, 4, m.Signatures[i].encode)
	}
	return b
}

func (m *pbSignedHeader) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			if m.Header == nil {
				m.Header = new(pbHeader)
			}
			return f.message(m.Header.decode)
		case 2:
			if m.Commit == nil {
				m.Commit = new(pbCommit)
			}
			return f.message(m.Commit.decode)
		}
		return errUnknownField
	})
}

func (m *pbSignedHeader) encode(b []byte) []byte {
	if m.Header != nil {
		b = appendMessage(b, 1, m.Header.encode)
	}
	if m.Commit != nil {
		b = appendMessage(b, 2, m.Commit.encode)
	}
	return b
}

// The key types of tendermint.crypto.PublicKey, by field number.
const (
	keyEd25519   = 1
	keySecp256k1 = 2
	keyMLDSA65   = 4
)

func (m *pbPublicKey) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case keyEd25519, keySecp256k1, keyMLDSA65:
			m.Kind = f.num
			return setBytes(f, &m.Key)
		}
		return errUnknownField
	})
}

// encode writes the key that is set, even an empty one (a oneof member).
func (m *pbPublicKey) encode(b []byte) []byte {
	if m.Kind == 0 {
		return b
	}
	return appendLengthDelimited(b, m.Kind, m.Key)
}

func (m *pbValidator) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setBytes(f, &m.Address)
		case 2:
			return f.message(m.PubKey.decode)
		case 3:
			return setInt64(f, &m.VotingPower)
		case 4:
			return setInt64(f, &m.ProposerPriority)
		}
		return errUnknownField
	})
}

func (m *pbValidator) encode(b []byte) []byte {
	b = appendBytesField(b, 1, m.Address)
	b = appendMessage(b, 2, m.PubKey.encode)
	b = appendVarintField(b, 3, uint64(m.VotingPower))
	return appendVarintField(b, 4, uint64(m.ProposerPriority))
}

func (m *pbValidatorSet) decode(b []byte) error {
	return eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			v := new(pbValidator)
			m.Validators = append(m.Validators, v)
			return f.message(v.decode)
		case 2:
			if m.Proposer == nil {
				m.Proposer = new(pbValidator)
			}
			return f.message(m.Proposer.decode)
		case 3:
			return setInt64(f, &m.TotalVotingPower)
		}
		return errUnknownField
	})
}

func (m *pbValidatorSet) encode(b []byte) []byte {
	for _, v := range m.Validators {
		if v == nil {
			b = appendLengthDelimited(b, 1, "")
			continue
		}
		b = appendMessage(b, 1, v.encode)
	}
	if m.Proposer != nil {
		b = appendMessage(b, 2, m.Proposer.encode)
	}
	return appendVarintField(b, 3, uint64(m.TotalVotingPower))
}

// simpleValidatorBytes is the protobuf SimpleValidator{pub_key, voting_power}
// of an Ed25519 key (Validator.Bytes).
func simpleValidatorBytes(pub []byte, power int64) []byte {
	key := pbPublicKey{Kind: keyEd25519, Key: pub}
	b := appendMessage(nil, 1, key.encode)
	return appendVarintField(b, 2, uint64(power))
}

// encode is CanonicalVote's Marshal.
func (m *pbCanonicalVote) encode(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(int64(m.Type)))
	b = appendFixed64Field(b, 2, m.Height)
	b = appendFixed64Field(b, 3, m.Round)
	if m.BlockID != nil {
		b = appendMessage(b, 4, m.BlockID.encode)
	}
	b = appendMessage(b, 5, func(b []byte) []byte { return appendTime(b, m.Timestamp) })
	return appendBytesField(b, 6, m.ChainID)
}
