package verifycli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custos-project/custos/receipt"
)

// Node is a consortium member's node, asked (custos verify --node) to
// confirm a receipt against its own chain: a court that runs a member node
// trusts what that node has committed, and the node proves that the
// receipt's checkpoint is a prefix of its chain's log. The node is not
// trusted for the proof itself: its checkpoint must verify under the same
// trust bundle, and the consistency proof must lead from one root to the
// other. The HTTP side lives with the caller, so that this package stays
// free of the network.
type Node interface {
	// String names the node in the verdict (its URL).
	String() string
	// Checkpoint is the node's latest checkpoint.
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	// Consistency is the node's RFC 6962 consistency proof (hex node
	// hashes) between two sizes of its log.
	Consistency(ctx context.Context, first, second uint64) ([]string, error)
}

// ErrNodeNotReady is what a Node's Checkpoint returns (wrapped) when the
// node cannot answer yet but will (it has no checkpoint yet, or is
// starting: HTTP 503); confirm asks it again within its wait, as it asks
// a node that is behind.
var ErrNodeNotReady = errors.New("the node is not ready yet")

// NodeReport is what the node confirmed, or why it could not.
type NodeReport struct {
	URL       string `json:"url"`
	Confirmed bool   `json:"confirmed"`
	// Height, TreeSize and Root are the node's checkpoint, when it gave one
	// that verifies.
	Height   int64  `json:"height,omitempty"`
	TreeSize uint64 `json:"tree_size,omitempty"`
	Root     string `json:"root,omitempty"`
	// Contradicted means that the node's chain, under the same trust
	// bundle, disagrees with the receipt: a different chain, or a log in
	// which the receipt's checkpoint is not a prefix. Otherwise a failure
	// means only that the node could not be asked (Error says why).
	Contradicted bool   `json:"contradicted,omitempty"`
	Error        string `json:"error,omitempty"`
	// reasonZH says in Chinese what Error means, for a Chinese verdict
	// (printed under Error, as a failed step's 原因).
	reasonZH string
}

// failed sets the report's error and its Chinese meaning, and returns it.
func (n *NodeReport) failed(reasonZH, format string, args ...any) *NodeReport {
	n.Error, n.reasonZH = fmt.Sprintf(format, args...), reasonZH
	return n
}

// exitCode is the verdict's exit status: 0 confirmed (or no node asked),
// 1 contradicted, 3 not confirmed.
func (n *NodeReport) exitCode() int {
	switch {
	case n == nil || n.Confirmed:
		return 0
	case n.Contradicted:
		return 1
	default:
		return 3
	}
}

// zhInterrupted is the Chinese reason of a confirmation that ^C ended.
const zhInterrupted = "已中断（Ctrl-C）"

// nodePoll is how often confirm asks again a node that is behind.
const nodePoll = 250 * time.Millisecond

// confirm asks node to confirm cp, a checkpoint that verified under v.
// While the node's log is shorter than cp's (its chain has not yet
// committed the receipt's block) it asks again, for up to wait.
func confirm(ctx context.Context, v *receipt.Verifier, cp *receipt.Checkpoint, node Node, wait time.Duration) *NodeReport {
	rep := &NodeReport{URL: node.String()}
	deadline := time.Now().Add(wait)
	var ncp *receipt.Checkpoint
	for {
		var err error
		ncp, err = node.Checkpoint(ctx)
		if errors.Is(err, ErrNodeNotReady) && time.Now().Before(deadline) {
			if !sleepCtx(ctx, nodePoll) {
				return rep.failed(zhInterrupted, "%v", ctx.Err())
			}
			continue
		}
		if err != nil {
			return rep.failed("未能从该节点取得检查点：节点未运行、地址有误或网络不通（英文原因见上一行）",
				"the node did not give its checkpoint: %v", err)
		}
		err = v.CheckNodeCheckpoint(cp, ncp)
		switch {
		case errors.Is(err, receipt.ErrOtherChain):
			rep.Contradicted = true
			return rep.failed("该节点运行的是另一条链，与回执所属的链不同",
				"the node runs chain %q, the receipt is from chain %q", ncp.ChainID, cp.ChainID)
		case err != nil && !errors.Is(err, receipt.ErrNodeBehind):
			// Not the trusted validators' header: the node is not a
			// member of this consortium as the bundle knows it (or its
			// validator set changed since the bundle was made).
			return rep.failed("该节点的检查点在信任包下未通过核验：该节点不是信任包所知联盟的成员，或其验证者集合在信任包生成后已变更",
				"the node's checkpoint does not verify under the trust bundle: %s", errText(err))
		}
		rep.Height, rep.TreeSize, rep.Root = ncp.Height, ncp.TreeSize, ncp.Root
		if err == nil {
			break
		}
		if !time.Now().Before(deadline) {
			return rep.failed("该节点的日志尚未追上回执所在的区块：请稍后重试，或加 --node-wait",
				"the node's log has %d leaves, fewer than the receipt's %d: it has not caught up with the receipt's block yet (try again, or give --node-wait)", ncp.TreeSize, cp.TreeSize)
		}
		if !sleepCtx(ctx, nodePoll) {
			return rep.failed(zhInterrupted, "%v", ctx.Err())
		}
	}
	proof, err := node.Consistency(ctx, cp.TreeSize, ncp.TreeSize)
	if err != nil {
		return rep.failed("该节点未给出一致性证明（英文原因见上一行）", "the node did not give a consistency proof: %v", err)
	}
	if err := v.VerifyConsistency(cp, ncp, proof); err != nil {
		rep.Contradicted = true
		return rep.failed("该节点的日志与回执不一致：回执的检查点不是该节点日志的前缀", "%s", errText(err))
	}
	rep.Confirmed = true
	return rep
}

// errText is a verification error as one line: the step, what was
// expected and what was found.
func errText(err error) string {
	var ve *receipt.VerifyError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	s := ve.Step
	if ve.Want != "" {
		s += ": expected " + ve.Want
	}
	if ve.Got != "" {
		s += ", computed " + ve.Got
	}
	return s
}

func printNode(p printer, n *NodeReport) {
	if !n.Confirmed {
		p.line("node-failed", n.URL)
		p.raw("  %s", n.Error)
		if p.chinese && n.reasonZH != "" {
			p.raw("  原因：%s", n.reasonZH)
		}
		if n.Contradicted {
			p.line("contradicted")
		} else {
			p.line("unconfirmed")
		}
		return
	}
	p.line("node", n.URL, n.Height, n.TreeSize, n.Root)
	p.line("prefix")
	p.line("confirmed")
}

// sleepCtx waits d, or until ctx is done (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
