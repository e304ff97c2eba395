package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/internal/atomicfile"
)

// hexSHA256 is the form of a recorded SHA-256 digest.
var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// downloadCmd is `custos download`: an item's bytes, checked against its
// recorded SHA-256 before they take the target's name.
func downloadCmd() *cobra.Command {
	var cn conn
	var out string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "download ID [-o FILE|DIR|-]",
		Short: "Download an item's bytes, checked against its recorded SHA-256",
		Long: `Download fetches an item's bytes (GET /api/v1/evidence/{id}/content; the server records a
"downloaded" custody event) into a temporary file beside the target, and gives it the target's name
only once the SHA-256 of what arrived equals the item's recorded digest (the ETag the server sends
with the bytes; if it sends none, the digest of the item's record). On a mismatch, or if the transfer
breaks off, the temporary file is removed and nothing is written under the target's name.

Without -o the file is named after the item's file name (its base name only), else its ID, in the
current folder; -o DIR puts it there under that name; a file already there is never replaced: the
download is saved beside it as NAME (1).EXT (then (2), …), and the message says so. -o FILE names it
(an existing file is replaced).
-o - writes the bytes to standard output as they arrive; the digest is still checked at the end, and a
mismatch is reported on standard error with exit status 1 (the bytes already written must then be
discarded). A progress bar (bytes, percent, rate) is shown on standard error when it is a terminal.

Exit status: 0 downloaded and the digest matches; 1 the digest does not match, the transfer failed or
the server refused (for example 404: no such item, or not visible to your token); 2 usage error.

Example:
  custos download nqihfudftxfyqo6okr4h7myh4i -o contract.pdf --server https://custos.firm.example
  custos download nqihfudftxfyqo6okr4h7myh4i -o - | sha256sum`,
		Args: positional(1, "one ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, args []string) error {
			showBar := progressOn(os.Stderr, quiet)
			return download(ctx, c, args[0], out, showBar)
		}),
	}
	cn.flags(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write: a FILE, a DIR, or - for standard output (default: the item's file name)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func download(ctx context.Context, c *client.Client, id, out string, showBar bool) error {
	d, err := c.Download(ctx, id)
	if err != nil {
		return err
	}
	defer d.Body.Close()
	want := d.SHA256
	if !hexSHA256.MatchString(want) { // no usable ETag: the record says
		rec, err := c.Get(ctx, id)
		if err != nil {
			return wrapped(err, "fail.download-record", "id", id)
		}
		want = rec.SHA256
	}
	var body io.Reader = d.Body
	if showBar {
		bar := bytesBar(d.Size, tr("progress.download", "id", id))
		defer bar.Close()
		r := progressbar.NewReader(d.Body, bar)
		body = &r
	}
	h := sha256.New()
	body = io.TeeReader(body, h)
	if out == "-" {
		if _, err := io.Copy(os.Stdout, body); err != nil {
			return wrapped(err, "fail.transfer-stdout", "id", id)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return failure(1, "fail.digest-stdout", "id", id, "got", got, "want", want)
		}
		return nil
	}
	target, named, err := downloadTarget(out, d.FileName, id)
	if err != nil {
		return err
	}
	tmp, err := createPart(target)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, body)
	if err != nil {
		return wrapped(err, "fail.transfer", "id", id)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return failure(1, "fail.digest-file", "id", id, "got", got, "want", want)
	}
	if named {
		// -o FILE: the caller named it, and replaces what is there.
		if err := atomicfile.Rename(tmp.Name(), target); err != nil {
			return err
		}
		ok = true
		notice("notice.saved", "id", id, "path", target, "size", humanSize(n), "sha256", want)
		return nil
	}
	// A name the server gave never replaces a file: the first of NAME,
	// NAME (1).EXT, NAME (2).EXT… that is free, taken without a race.
	saved, err := renameFree(tmp.Name(), target)
	if err != nil {
		return err
	}
	ok = true
	if saved != target {
		notice("notice.saved-beside", "id", id, "path", saved, "taken", target, "size", humanSize(n), "sha256", want)
		return nil
	}
	notice("notice.saved", "id", id, "path", target, "size", humanSize(n), "sha256", want)
	return nil
}

// maxSameName bounds the names renameFree tries after the first.
const maxSameName = 999

// renameFree gives the file part the first free name of target, then
// target with " (1)", " (2)"… before its extension, and returns it; it
// never replaces a file (atomicfile.RenameNew).
func renameFree(part, target string) (string, error) {
	ext := filepath.Ext(target)
	stem := strings.TrimSuffix(target, ext)
	for i := 0; i <= maxSameName; i++ {
		name := target
		if i > 0 {
			name = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		err := atomicfile.RenameNew(part, name)
		if !errors.Is(err, fs.ErrExist) {
			return name, err
		}
	}
	return "", failure(1, "fail.download-names-taken", "path", target, "n", maxSameName)
}

// createPart creates the temporary file beside target that a download is
// written to, with the permissions a new file gets (0666 less the umask),
// unlike os.CreateTemp's 0600.
func createPart(target string) (*os.File, error) {
	for {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".part-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		switch {
		case errors.Is(err, fs.ErrExist):
			continue
		case errors.Is(err, fs.ErrNotExist) && !isDir(filepath.Dir(target)):
			return nil, failure(1, "fail.save", "dir", filepath.Dir(target), "why", tr("why.no-folder"))
		case errors.Is(err, fs.ErrPermission):
			return nil, failure(1, "fail.save", "dir", filepath.Dir(target), "why", tr("why.no-write"))
		}
		return f, err
	}
}

// isDir reports whether path is a folder.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// downloadTarget is the path a download is saved under: out if it names a
// file (named: the caller chose it), else (out empty or a folder) the
// item's file name reduced to a safe base name, else its ID.
func downloadTarget(out, fileName, id string) (target string, named bool, err error) {
	if out != "" {
		st, err := os.Stat(out)
		if err != nil || !st.IsDir() {
			return out, true, nil
		}
	}
	return filepath.Join(out, safeBaseName(fileName, safeBaseName(id, "evidence"))), false, nil
}

// safeBaseName is the last element of a name sent by the server (either
// slash counts), or fallback when that is empty, a dot name, or holds a
// control character.
func safeBaseName(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fallback
	}
	return name
}
