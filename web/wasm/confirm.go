package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/custos-project/custos/receipt"
)

// Confirmation is what custosConfirm returns, as JSON: whether the node
// that serves the page confirms the receipt's checkpoint against its own
// chain (as `custos verify --node` does), and its checkpoint.
type Confirmation struct {
	Confirmed bool `json:"confirmed"`
	// Contradicted: the node's chain, under the same trust bundle,
	// disagrees with the receipt (another chain, or a log of which the
	// receipt's is not a prefix). Otherwise a failure only means that the
	// node could not confirm it (Message says why).
	Contradicted bool   `json:"contradicted"`
	Message      string `json:"message,omitempty"`
	Height       int64  `json:"height,omitempty"`
	TreeSize     uint64 `json:"tree_size,omitempty"`
	Root         string `json:"root,omitempty"`
}

// ConfirmJSON checks the node's checkpoint (nodeCP, as GET
// /api/v1/log/checkpoint answers) and its consistency proof (proof, as GET
// /api/v1/log/consistency answers, from the receipt's tree size to the
// node's) against the receipt and the trust bundle. The page fetches them;
// the verifier does not touch the network.
func ConfirmJSON(receiptText, trustText, nodeCP, proof string) []byte {
	c := confirm(receiptText, trustText, nodeCP, proof)
	b, err := json.Marshal(c)
	if err != nil {
		return []byte(`{"confirmed":false,"contradicted":false,"message":"internal error"}`)
	}
	return b
}

func confirm(receiptText, trustText, nodeCP, proof string) Confirmation {
	r, err := receipt.Parse([]byte(receiptText))
	if err != nil {
		return Confirmation{Message: "the receipt does not parse: " + err.Error()}
	}
	trust, err := receipt.ParseTrust([]byte(trustText))
	if err != nil {
		return Confirmation{Message: "the trust bundle does not parse: " + err.Error()}
	}
	v, err := receipt.NewVerifier(trust)
	if err != nil {
		return Confirmation{Message: "the trust bundle is unusable: " + err.Error()}
	}
	var cp receipt.Checkpoint
	if err := json.Unmarshal([]byte(nodeCP), &cp); err != nil {
		return Confirmation{Message: "the node's checkpoint does not parse: " + err.Error()}
	}
	err = v.CheckNodeCheckpoint(&r.Checkpoint, &cp)
	switch {
	case errors.Is(err, receipt.ErrOtherChain):
		return Confirmation{Contradicted: true, Message: fmt.Sprintf("the node runs chain %q, the receipt is from chain %q", cp.ChainID, r.Checkpoint.ChainID)}
	case err != nil && !errors.Is(err, receipt.ErrNodeBehind):
		return Confirmation{Message: "the node's checkpoint does not verify under the trust bundle: " + verifyMessage(err)}
	}
	out := Confirmation{Height: cp.Height, TreeSize: cp.TreeSize, Root: cp.Root}
	if err != nil {
		out.Message = fmt.Sprintf("the node's log has %d leaves, fewer than the receipt's %d: it has not reached the receipt's block yet", cp.TreeSize, r.Checkpoint.TreeSize)
		return out
	}
	var p struct {
		First  uint64   `json:"first"`
		Second uint64   `json:"second"`
		Proof  []string `json:"proof"`
	}
	if err := json.Unmarshal([]byte(proof), &p); err != nil {
		out.Message = "the node's consistency proof does not parse: " + err.Error()
		return out
	}
	if p.First != r.Checkpoint.TreeSize || p.Second != cp.TreeSize {
		out.Message = fmt.Sprintf("the node gave a proof between sizes %d and %d, not %d and %d", p.First, p.Second, r.Checkpoint.TreeSize, cp.TreeSize)
		return out
	}
	if err := v.VerifyConsistency(&r.Checkpoint, &cp, p.Proof); err != nil {
		out.Contradicted, out.Message = true, verifyMessage(err)
		return out
	}
	out.Confirmed = true
	return out
}

func verifyMessage(err error) string {
	var ve *receipt.VerifyError
	if errors.As(err, &ve) {
		return fmt.Sprintf("%s: expected %s, computed %s", ve.Step, ve.Want, ve.Got)
	}
	return err.Error()
}
