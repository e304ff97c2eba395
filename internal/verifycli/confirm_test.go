package verifycli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/receipt"
)

// The receipt test vectors: one chain, one trust bundle.
var (
	vectorReceipt = filepath.Join("..", "..", "receipt", "testdata", "vectors", "valid", "v3-complete.json")
	vectorTrust   = filepath.Join("..", "..", "receipt", "testdata", "vectors", "trust.json")
)

// fakeNode answers with a fixed checkpoint and proof.
type fakeNode struct {
	cp    *receipt.Checkpoint
	proof []string
	err   error
}

func (n fakeNode) String() string { return "https://node.test" }

func (n fakeNode) Checkpoint(context.Context) (*receipt.Checkpoint, error) { return n.cp, n.err }

func (n fakeNode) Consistency(_ context.Context, first, second uint64) ([]string, error) {
	return n.proof, nil
}

func vectorCheckpoint(t *testing.T) *receipt.Checkpoint {
	t.Helper()
	b, err := os.ReadFile(vectorReceipt)
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return &r.Checkpoint
}

// The offline verdict is unchanged by --node; the node's answer decides
// the confirmation and the exit status: 0 confirmed, 1 contradicted, 3
// not confirmed. (A node ahead of the receipt, with a real consistency
// proof, is confirmed in cmd/custos TestConsortium.)
func TestConfirmByNode(t *testing.T) {
	cp := vectorCheckpoint(t)
	otherChain := *cp
	otherChain.ChainID = "another-chain"
	forged := *cp
	forged.Root = strings.Repeat("00", 32)
	for _, tc := range []struct {
		name     string
		node     fakeNode
		code     int
		verdict  string
		contains string
	}{
		{"same checkpoint", fakeNode{cp: cp}, 0, "CONFIRMED by the node", "has 45 leaves"},
		{"unreachable", fakeNode{err: errors.New("connection refused")}, 3, "NOT CONFIRMED by the node", "connection refused"},
		{"another chain", fakeNode{cp: &otherChain}, 1, "CONTRADICTED by the node", `runs chain "another-chain"`},
		{"checkpoint not signed by the trusted validators", fakeNode{cp: &forged}, 3, "NOT CONFIRMED by the node", "does not verify under the trust bundle"},
		{"a proof where none can be", fakeNode{cp: cp, proof: []string{strings.Repeat("ab", 32)}}, 1, "CONTRADICTED by the node", "consistency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Node: tc.node})
			var ee ExitError
			code := 0
			if errors.As(err, &ee) {
				code = ee.Code
			} else if err != nil {
				t.Fatal(err)
			}
			text := out.String()
			if code != tc.code || !strings.Contains(text, "\nVALID\n") || !strings.HasSuffix(text, tc.verdict+"\n") || !strings.Contains(text, tc.contains) {
				t.Errorf("exit %d, want %d; output:\n%s\nwant it to end in %q and contain %q", code, tc.code, text, tc.verdict, tc.contains)
			}
			out.Reset()
			err = Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Node: tc.node, JSON: true})
			var rep verifyReport
			if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil || !rep.Valid || rep.Node == nil || rep.Node.Confirmed != (tc.code == 0) || rep.Node.Contradicted != (tc.code == 1) {
				t.Errorf("--json: %v, %+v %+v", jerr, rep, rep.Node)
			}
			if c := rep.Node.exitCode(); (err == nil) != (c == 0) {
				t.Errorf("--json: err %v with exit code %d", err, c)
			}
		})
	}
}

// Without --node the verdict is the offline one alone.
func TestCheckWithoutNode(t *testing.T) {
	var out bytes.Buffer
	if err := Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust}); err != nil || strings.Contains(out.String(), "by the node") {
		t.Errorf("Check = %v\n%s", err, out.String())
	}
}

// TestTransitionsFlag: the receipt signed after a validator change
// (receipt/testdata/transitions) is valid with the genesis bundle
// when it carries its transition (version 4) or is given it as a
// companion, not valid without, and a companion that is no list of
// transitions nor a version-2 bundle is a usage error.
func TestTransitionsFlag(t *testing.T) {
	dir := filepath.Join("..", "..", "receipt", "testdata", "transitions")
	evidenceFile := filepath.Join("..", "..", "receipt", "testdata", "vectors", "evidence.txt")
	cases := []struct {
		receipt, companion string
		code               int
	}{
		{"receipt-v4.json", "", 0},
		{"receipt-v3-after-change.json", "", 1},
		{"receipt-v3-after-change.json", filepath.Join(dir, "receipt-companion.json"), 0},
		{"receipt-v3-after-change.json", vectorTrust, 2}, // a version-1 bundle carries no transitions
	}
	for _, tc := range cases {
		var out bytes.Buffer
		err := Check(context.Background(), &out, Options{Receipt: filepath.Join(dir, tc.receipt), File: evidenceFile, Trust: vectorTrust, Transitions: tc.companion})
		code := 0
		var ee ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		} else if err != nil {
			code = -1
		}
		if code != tc.code {
			t.Errorf("%s with companion %q: exit %d (%v), want %d\n%s", tc.receipt, tc.companion, code, err, tc.code, out.String())
		}
		if code == 0 && !strings.Contains(out.String(), "through 1 validator-set transition(s)") {
			t.Errorf("%s: the verdict does not say the checkpoint was reached through a transition:\n%s", tc.receipt, out.String())
		}
	}
}

// readyLater has no checkpoint for its first calls (503, as a node
// without one answers), then the vector's.
type readyLater struct {
	fakeNode
	notYet *int
}

func (n readyLater) Checkpoint(ctx context.Context) (*receipt.Checkpoint, error) {
	if *n.notYet > 0 {
		*n.notYet--
		return nil, fmt.Errorf("%w: 503 No checkpoint yet", ErrNodeNotReady)
	}
	return n.fakeNode.Checkpoint(ctx)
}

// A node that is not ready yet is asked again within the wait, as a node
// that is behind is; once the wait is over it is not confirmed.
func TestConfirmNodeNotReady(t *testing.T) {
	cp := vectorCheckpoint(t)
	for _, tc := range []struct {
		name     string
		notYet   int
		wait     time.Duration
		code     int
		contains string
	}{
		{"ready within the wait", 2, 10 * time.Second, 0, "CONFIRMED by the node"},
		{"not ready at all", 1 << 30, 0, 3, "No checkpoint yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.notYet
			var out bytes.Buffer
			err := Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust,
				Node: readyLater{fakeNode{cp: cp}, &n}, NodeWait: tc.wait})
			code := 0
			var ee ExitError
			if errors.As(err, &ee) {
				code = ee.Code
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(out.String(), tc.contains) {
				t.Errorf("exit %d, want %d; output:\n%s\nwant it to contain %q", code, tc.code, out.String(), tc.contains)
			}
			if tc.code == 0 && n != 0 {
				t.Errorf("asked %d times too few", n)
			}
		})
	}
}

// TestConfirmByNodeZH: a Chinese verdict says under the node's English
// reason what it means, in Chinese (原因：…), as a failed step does; it
// gave only Go's words, such as 'Get "…": dial tcp …: connection refused'.
func TestConfirmByNodeZH(t *testing.T) {
	cp := vectorCheckpoint(t)
	otherChain := *cp
	otherChain.ChainID = "another-chain"
	for _, tc := range []struct {
		name string
		node fakeNode
		want string
	}{
		{"unreachable", fakeNode{err: errors.New("connection refused")}, "  原因：未能从该节点取得检查点：节点未运行、地址有误或网络不通"},
		{"another chain", fakeNode{cp: &otherChain}, "  原因：该节点运行的是另一条链，与回执所属的链不同\n"},
	} {
		var out bytes.Buffer
		Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Node: tc.node, Chinese: true})
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s, in Chinese:\n%s\nwant %q", tc.name, out.String(), tc.want)
		}
		out.Reset()
		Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Node: tc.node})
		if strings.Contains(out.String(), "原因") {
			t.Errorf("%s, in English:\n%s\nwant no Chinese reason", tc.name, out.String())
		}
	}
}
