package anchor

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
)

// TestChainFilesDurable: the validator key, the p2p node key and the
// genesis a node starts from are written whole and durable, their folder
// fsynced, and the genesis by replacing the file, never in place. Before,
// CometBFT wrote them: the validator key renamed without a folder fsync,
// the node key and the genesis with os.WriteFile (in place, no fsync), so
// a crash after a first start or consortium init could lose the key its
// node certificate certifies, or leave a torn genesis.
func TestChainFilesDurable(t *testing.T) {
	var mu sync.Mutex
	var synced []string
	restore := atomicfile.SetSyncDir(func(dir string) error {
		mu.Lock()
		synced = append(synced, dir)
		mu.Unlock()
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	})
	t.Cleanup(restore)
	home := filepath.Join(t.TempDir(), "node")
	pub, id, err := InitHome(home)
	if err != nil {
		t.Fatal(err)
	}
	config, data := filepath.Join(home, "config"), filepath.Join(home, "data")
	for _, dir := range []string{config, data} {
		if !slices.Contains(synced, dir) {
			t.Errorf("InitHome fsynced %q, want %s among them", synced, dir)
		}
	}
	for _, f := range []string{PrivValKeyPath(home), NodeKeyPath(home)} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("Stat(%s) = %v, %v, want mode 0600", f, fi, err)
		}
	}
	// Again: the same keys, nothing rewritten.
	synced = nil
	pub2, id2, err := InitHome(home)
	if err != nil || !pub2.Equal(pub) || id2 != id {
		t.Errorf("InitHome again = %x, %s, %v, want the same keys %x, %s", pub2, id2, err, pub, id)
	}
	root, err := certs.NewRoot("Durable Root", txNow)
	if err != nil {
		t.Fatal(err)
	}
	path := GenesisPath(home)
	vals := []GenesisValidator{{Name: "court", PubKey: pub, Power: 10}}
	if err := WriteGenesis(path, "custos-durable", vals, root.Cert, time.Now(), LatestState); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	synced = nil
	if err := WriteGenesis(path, "custos-durable", vals, root.Cert, time.Now(), LatestState); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Errorf("WriteGenesis rewrote %s in place, want it replaced whole", path)
	}
	if !slices.Equal(synced, []string{config}) {
		t.Errorf("WriteGenesis fsynced %q, want [%s]", synced, config)
	}
	if doc, err := ReadGenesis(path); err != nil || doc.ChainID != "custos-durable" {
		t.Errorf("ReadGenesis = %v, %v", doc, err)
	}
}
