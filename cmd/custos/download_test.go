package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	prob "github.com/custos-project/custos/internal/problem"
)

// TestDownloadCustody runs `custos download` and `custos custody` against
// a real node: a download saved under the item's file name after its
// digest check, one to standard output, the custody chain as JSON when
// piped (with both downloads in it), and a download of altered stored
// bytes, which must leave nothing under the target's name.
func TestDownloadCustody(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	dir := t.TempDir()
	data := bytes.Repeat([]byte("the contract, clause by clause\n"), 4000) // above the inline threshold: a blob
	env := []string{"CUSTOS_SERVER=" + n.URL, "CUSTOS_TOKEN=" + n.Token}
	out, err := runCustosEnv(t, env, "submit", writeFile(t, dir, "contract.txt", data))
	if err != nil {
		t.Fatalf("custos submit: %v\n%s", err, out)
	}
	var v wire.EvidenceView
	mustJSON(t, []byte(out), &v)

	into := t.TempDir()
	if out, err := runCustosEnv(t, env, "download", v.ID, "-o", into); err != nil {
		t.Fatalf("custos download -o DIR: %v\n%s", err, out)
	}
	if got, err := os.ReadFile(filepath.Join(into, "contract.txt")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the download saved as contract.txt: %d bytes, %v; want the %d bytes filed", len(got), err, len(data))
	}
	// Again into the same folder: the file there is never replaced; the
	// download takes the next free name and says so.
	if err := os.WriteFile(filepath.Join(into, "contract.txt"), []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, e, err := custosOutErr(t, env, "download", v.ID, "-o", into); err != nil || !strings.Contains(e, "contract (1).txt") || !strings.Contains(e, "exists") {
		t.Fatalf("custos download -o DIR over an existing file: %v\n%s; want it saved as contract (1).txt, saying why", err, e)
	}
	if got, _ := os.ReadFile(filepath.Join(into, "contract.txt")); string(got) != "precious" {
		t.Errorf("the existing contract.txt = %q after a download into its folder, want it kept", got)
	}
	if got, _ := os.ReadFile(filepath.Join(into, "contract (1).txt")); !bytes.Equal(got, data) {
		t.Errorf("contract (1).txt has %d bytes, want the %d filed", len(got), len(data))
	}
	named := filepath.Join(into, "copy.bin")
	if out, err := runCustos(t, "download", v.ID, "-o", named, "--server", n.URL, "--token", n.Token); err != nil {
		t.Fatalf("custos download -o FILE: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(named); !bytes.Equal(got, data) {
		t.Errorf("the download saved as copy.bin has %d bytes, want the %d filed", len(got), len(data))
	}
	out, err = runCustosEnv(t, env, "download", v.ID, "-o", "-")
	if err != nil || out != string(data) {
		t.Errorf("custos download -o -: %v; %d bytes on stdout, want the %d filed", err, len(out), len(data))
	}

	out, err = runCustosEnv(t, env, "custody", v.ID) // stdout is a pipe: JSON
	if err != nil {
		t.Fatalf("custos custody: %v\n%s", err, out)
	}
	var c wire.CustodyView
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("custos custody piped is not JSON: %v\n%s", err, out)
	}
	// The four downloads, as events (a folded one counts its reads) or as
	// reads not yet folded into the chain.
	downloads := 0
	for _, e := range c.Events {
		if e.Type == "downloaded" {
			downloads += max(1, int(e.Reads))
		}
	}
	for _, p := range c.PendingReads {
		if p.Type == "downloaded" {
			downloads += int(p.Reads)
		}
	}
	if c.Evidence != v.ID || len(c.Events) == 0 || c.Events[0].Type != "created" || downloads != 4 {
		t.Errorf("custody of %s = %s; want its chain from created on, with 4 downloads (got %d)", v.ID, out, downloads)
	}
	if _, err := runCustosEnv(t, env, "custody"); exitCode(err) != 2 {
		t.Errorf("custos custody without an ID: exit %d, want 2", exitCode(err))
	}
	if _, err := runCustos(t, "download", v.ID, "--server", n.URL); exitCode(err) != 2 {
		t.Errorf("custos download without a token: exit %d, want 2", exitCode(err))
	}

	// Altered stored bytes: the server breaks the transfer off; nothing is
	// saved, and no temporary file is left behind.
	alterBlob(t, filepath.Join(n.dir, "blobs"), v.SHA256, 1)
	bad := t.TempDir()
	out, err = runCustosEnv(t, env, "download", v.ID, "-o", filepath.Join(bad, "altered.txt"))
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "nothing was saved") {
		t.Errorf("custos download of altered bytes: exit %d, %v\n%s", exitCode(err), err, out)
	}
	if left, _ := os.ReadDir(bad); len(left) != 0 {
		t.Errorf("after a failed download the folder holds %v, want nothing", left)
	}
}

// TestRenameFree: a name the server gave takes the first free one of
// NAME, NAME (1).EXT, NAME (2).EXT, and never replaces a file.
func TestRenameFree(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a.tar.gz")
	for i, want := range []string{"a.tar.gz", "a.tar (1).gz", "a.tar (2).gz"} {
		part := filepath.Join(dir, ".part")
		if err := os.WriteFile(part, []byte{byte(i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := renameFree(part, target)
		if err != nil || got != filepath.Join(dir, want) {
			t.Errorf("renameFree #%d = %q, %v; want %s", i, got, err, want)
		}
		if b, _ := os.ReadFile(got); len(b) != 1 || b[0] != byte(i) {
			t.Errorf("%s = %v, want [%d]", got, b, i)
		}
	}
	if b, _ := os.ReadFile(target); len(b) != 1 || b[0] != 0 {
		t.Errorf("%s = %v after two more downloads, want the first kept", target, b)
	}
}

func TestSafeBaseName(t *testing.T) {
	for in, want := range map[string]string{
		"contract.pdf": "contract.pdf", "../../etc/passwd": "passwd", `C:\x\y.doc`: "y.doc",
		"": "ID", "..": "ID", "dir/": "ID", "a\nb": "ID", " 证据.png ": "证据.png",
	} {
		if got := safeBaseName(in, "ID"); got != want {
			t.Errorf("safeBaseName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDownloadDigestMismatch: a server whose bytes are complete but do not
// hash to the ETag it sends (which a real node never serves: it breaks
// such a transfer off, as TestDownloadCustody shows) gets exit 1 and
// nothing saved; with -o -, exit 1 after the bytes. Without an ETag the
// record's digest is used.
func TestDownloadDigestMismatch(t *testing.T) {
	body := []byte("bytes that are not the record's")
	recorded := strings.Repeat("ab", 32)
	etag := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/evidence/X/content":
			if etag {
				w.Header().Set("ETag", `"sha256:`+recorded+`"`)
			}
			w.Header().Set("Content-Disposition", `attachment; filename="../evil.txt"`)
			w.Write(body)
		case "/api/v1/evidence/X":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"X","sha256":%q}`, recorded)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t")
	for _, etag = range []bool{true, false} {
		dir := t.TempDir()
		err := download(context.Background(), c, "X", dir, false)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(ee.msg, "DIGEST MISMATCH") || !strings.Contains(ee.msg, recorded) {
			t.Errorf("etag %v: download of bytes that do not match = %v, want exit 1 DIGEST MISMATCH", etag, err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("etag %v: after a mismatch the folder holds %v, want nothing", etag, left)
		}
	}
	etag = true
	sum := sha256.Sum256(body)
	recorded = hex.EncodeToString(sum[:])
	dir := t.TempDir()
	if err := download(context.Background(), c, "X", dir, false); err != nil {
		t.Fatalf("download of matching bytes: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "evil.txt")); err != nil || !bytes.Equal(got, body) {
		t.Errorf("the download saved as evil.txt (a base name, in the folder): %q, %v", got, err)
	}
}

// TestCreatePartZH: a download into a folder that does not exist is said
// in the CLI's language, not as Go's "open …/.x.part-…: no such file or
// directory" (as it was before, under a Chinese locale too).
func TestCreatePartZH(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	defer func(l prob.Lang) { lang = l }(lang)
	for l, want := range map[prob.Lang]string{prob.Chinese: "无法保存到 " + dir + "：文件夹不存在", prob.English: "cannot save in " + dir + ": no such folder"} {
		lang = l
		if f, err := createPart(filepath.Join(dir, "x.pdf")); err == nil || err.Error() != want {
			t.Errorf("createPart in a missing folder in %v = %v, %v; want %q", l, f, err, want)
		}
	}
}
