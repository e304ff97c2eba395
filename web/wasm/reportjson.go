package main

import (
	"slices"
	"strconv"

	"github.com/custos-project/custos/internal/strictjson"
	"github.com/custos-project/custos/receipt"
)

// appendJSON appends rep as json.Marshal writes it (with the nojsonv2
// build's spelling of invalid UTF-8, see strictjson.AppendString), written
// by hand: in the browser, encoding/json's reflection was a tenth of the
// first verification's cost (docs/performance.md, "The page's first
// verdict: less code on the first call's path"). TestReportJSONIsMarshal
// compares the two.
func (rep *Report) appendJSON(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, int64(rep.Version), 10)
	b = append(b, `,"valid":`...)
	b = strconv.AppendBool(b, rep.Valid)
	b = field(b, `,"failed_step":`, rep.FailedStep)
	b = append(b, `,"error":`...)
	if e := rep.Error; e == nil {
		b = append(b, "null"...)
	} else {
		b = field(b, `{"step":`, e.Step)
		b = field(b, `,"want":`, e.Want)
		b = field(b, `,"got":`, e.Got)
		b = field(b, `,"message":`, e.Message)
		b = append(b, '}')
	}
	b = appendList(append(b, `,"steps":`...), rep.Steps, StepReport.appendJSON)
	b = append(b, `,"evidence":`...)
	if ev := rep.Evidence; ev == nil {
		b = append(b, "null"...)
	} else {
		b = field(b, `{"id":`, ev.ID)
		b = field(b, `,"sha256":`, ev.SHA256)
		b = field(b, `,"sm3":`, ev.SM3)
		b = strconv.AppendInt(append(b, `,"size":`...), ev.Size, 10)
		b = field(b, `,"media_type":`, ev.MediaType)
		b = append(b, '}')
	}
	b = appendList(append(b, `,"timestamps":`...), rep.Timestamps, Timestamp.appendJSON)
	b = appendList(append(b, `,"events":`...), rep.Events, Event.appendJSON)
	b = appendCustody(append(b, `,"custody":`...), rep.Custody)
	b = append(b, `,"checkpoint":`...)
	if rep.Checkpoint == nil {
		b = append(b, "null"...)
	} else {
		b = rep.Checkpoint.appendJSON(b)
	}
	return append(b, '}')
}

func (s StepReport) appendJSON(b []byte) []byte {
	b = field(b, `{"step":`, s.Step)
	b = strconv.AppendBool(append(b, `,"ok":`...), s.OK)
	if s.Skipped {
		b = append(b, `,"skipped":true`...)
	}
	b = field(b, `,"summary":`, s.Summary)
	return append(b, '}')
}

func (t Timestamp) appendJSON(b []byte) []byte {
	b = field(b, `{"time":`, t.Time)
	b = field(b, `,"tsa":`, t.TSA)
	b = field(b, `,"serial":`, t.Serial)
	if t.Unverified != "" {
		b = field(b, `,"unverified":`, t.Unverified)
	}
	return append(b, '}')
}

func (e Event) appendJSON(b []byte) []byte {
	b = strconv.AppendUint(append(b, `{"seq":`...), uint64(e.Seq), 10)
	b = field(b, `,"type":`, e.Type)
	b = field(b, `,"time":`, e.Time)
	b = field(b, `,"actor":`, e.Actor)
	b = field(b, `,"subject":`, e.Subject)
	if e.Reads != 0 {
		b = strconv.AppendInt(append(b, `,"reads":`...), e.Reads, 10)
	}
	if e.Since != "" {
		b = field(b, `,"since":`, e.Since)
	}
	return append(b, '}')
}

func (c *Checkpoint) appendJSON(b []byte) []byte {
	b = field(b, `{"chain_id":`, c.ChainID)
	b = strconv.AppendInt(append(b, `,"height":`...), c.Height, 10)
	b = field(b, `,"time":`, c.Time)
	b = strconv.AppendUint(append(b, `,"tree_size":`...), c.TreeSize, 10)
	b = field(b, `,"root":`, c.Root)
	b = field(b, `,"block_hash":`, c.BlockHash)
	b = appendList(append(b, `,"signers":`...), c.Signers, Signer.appendJSON)
	b = strconv.AppendInt(append(b, `,"signed_power":`...), c.SignedPower, 10)
	b = strconv.AppendInt(append(b, `,"total_power":`...), c.TotalPower, 10)
	return append(b, '}')
}

func (s Signer) appendJSON(b []byte) []byte {
	b = field(b, `{"name":`, s.Name)
	b = field(b, `,"kind":`, s.Kind)
	b = strconv.AppendInt(append(b, `,"power":`...), s.Power, 10)
	return append(b, '}')
}

// appendCustody writes a receipt.CustodyResult, its Omitted map with the
// keys sorted, as encoding/json writes maps.
func appendCustody(b []byte, c *receipt.CustodyResult) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = strconv.AppendBool(append(b, `{"complete":`...), c.Complete)
	if c.Total != 0 {
		b = strconv.AppendUint(append(b, `,"total":`...), uint64(c.Total), 10)
	}
	b = strconv.AppendInt(append(b, `,"listed":`...), int64(c.Listed), 10)
	if len(c.Omitted) > 0 {
		keys := make([]string, 0, len(c.Omitted))
		for k := range c.Omitted {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"omitted":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(append(strictjson.AppendString(b, k), ':'), uint64(c.Omitted[k]), 10)
		}
		b = append(b, '}')
	}
	b = field(b, `,"note":`, c.Note)
	return append(b, '}')
}

// appendList writes a list, nil as null (as encoding/json does).
func appendList[T any](b []byte, l []T, elem func(T, []byte) []byte) []byte {
	if l == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(v, b)
	}
	return append(b, ']')
}

func field(b []byte, name, s string) []byte {
	return strictjson.AppendString(append(b, name...), s)
}
