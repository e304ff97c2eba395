package anchor

import (
	"slices"
	"sync"
)

// The member list and the former members are read on hot paths (every
// upload asks whether this node's member was removed; every peer request
// whether its caller is a member), and they change only when a block
// applies a governance act. So the committed lists are kept in memory and
// read again from the database once per committed block at most: an entry
// is valid for the committed height it was read at (recordVersions sets
// that height after the block's transaction is durable, so an entry never
// holds an older state under a newer height).

type memberLists struct {
	height  int64 // the committed height they were read at
	members []Member
	former  map[string]Member
}

type membersCache struct {
	mu    sync.Mutex
	valid bool
	lists memberLists
}

// committedHeight is the height of the last committed block (0 before the
// first).
func (a *App) committedHeight() int64 {
	a.smu.RLock()
	defer a.smu.RUnlock()
	return a.stateHeight
}

// memberLists returns the committed member lists, reading them only if a
// block was committed since they were last read.
func (a *App) memberLists() (memberLists, error) {
	h := a.committedHeight()
	c := &a.memberCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && c.lists.height == h {
		return c.lists, nil
	}
	ms, err := StoredMembers(a.db)
	if err != nil {
		return memberLists{}, err
	}
	former, err := a.readFormerMembers()
	if err != nil {
		return memberLists{}, err
	}
	c.lists, c.valid = memberLists{height: h, members: ms, former: former}, true
	return c.lists, nil
}

// forgetMembers drops the kept lists (InitChain writes members without a
// block).
func (a *App) forgetMembers() {
	a.memberCache.mu.Lock()
	a.memberCache.valid = false
	a.memberCache.mu.Unlock()
}

// Members lists the consortium's members, by place (state version 6;
// none before). The slice is the caller's; the Members' byte slices are
// shared and must not be changed.
func (a *App) Members() ([]Member, error) {
	l, err := a.memberLists()
	return slices.Clone(l.members), err
}
