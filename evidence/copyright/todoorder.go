package copyright

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The order of what waits. crtodo is keyed by registration ID, which is
// random; the numbering loop must see what waits in the order it was
// registered, as the register's order is the registrations' priority.
// crtodoat indexes crtodo in that order, node-local like it and kept in
// step with it in the same transactions (putTodo, deleteTodo):
//
//	crtodoat  class(1) ‖ RegisteredAt (Unix ns, 8, sign bit flipped) ‖ id → ∅
//
// class is 0 for a registration with a legacy number, 1 for a pending
// one, so that legacy ones come first even if the clock went back across
// the upgrade: a member's legacy registrations are filed before its
// pending ones. A registration's class and time do not change while it
// waits. A store from before the index gets it when opened (indexTodo).

var bCrTodoAt = []byte("crtodoat")

// todoAtLen is the length of a crtodoat key before the ID.
const todoAtLen = 1 + 8

// todoKey is c's key in crtodoat.
func todoKey(c *Copyright) []byte {
	k := make([]byte, todoAtLen, todoAtLen+len(c.ID))
	if c.Number == "" {
		k[0] = 1
	}
	binary.BigEndian.PutUint64(k[1:], uint64(c.RegisteredAt.UnixNano())^1<<63)
	return append(k, c.ID...)
}

// putTodo enters c in crtodo with its files' fingerprints, and in
// crtodoat.
func putTodo(tx *bolt.Tx, c *Copyright, fps []Fingerprint) error {
	v, err := json.Marshal(fps)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bCrTodo).Put([]byte(c.ID), v); err != nil {
		return err
	}
	return tx.Bucket(bCrTodoAt).Put(todoKey(c), nil)
}

// deleteTodo takes c (as it waited) out of crtodo and crtodoat.
func deleteTodo(tx *bolt.Tx, c *Copyright) error {
	if err := tx.Bucket(bCrTodo).Delete([]byte(c.ID)); err != nil {
		return err
	}
	return tx.Bucket(bCrTodoAt).Delete(todoKey(c))
}

// indexTodo makes crtodoat index exactly what crtodo holds: it creates it
// for a store from before it, and rebuilds it if it indexes other IDs (a
// store written meanwhile by a release without it). A store whose index
// holds crtodo's IDs is left as it is.
func indexTodo(tx *bolt.Tx) error {
	at := tx.Bucket(bCrTodoAt)
	if at != nil && todoIndexed(tx) {
		return nil
	}
	if at != nil {
		if err := tx.DeleteBucket(bCrTodoAt); err != nil {
			return err
		}
	}
	if _, err := tx.CreateBucket(bCrTodoAt); err != nil {
		return err
	}
	return tx.Bucket(bCrTodo).ForEach(func(k, _ []byte) error {
		c, err := getCopyright(tx, string(k))
		if err != nil {
			return fmt.Errorf("evidence: registration %s waits for the consortium's register: %w", k, err)
		}
		return tx.Bucket(bCrTodoAt).Put(todoKey(c), nil)
	})
}

// todoIndexed reports whether crtodoat names each ID of crtodo once, and
// no other.
func todoIndexed(tx *bolt.Tx) bool {
	todo := tx.Bucket(bCrTodo)
	n, seen := 0, map[string]bool{}
	c := tx.Bucket(bCrTodoAt).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		id := string(k[min(len(k), todoAtLen):])
		if len(k) <= todoAtLen || seen[id] || todo.Get([]byte(id)) == nil {
			return false
		}
		seen[id] = true
		n++
	}
	return n == todo.Stats().KeyN
}

// todoIndexHas reports whether crtodoat holds c's key.
func todoIndexHas(tx *bolt.Tx, c *Copyright) bool {
	k := todoKey(c)
	got, _ := tx.Bucket(bCrTodoAt).Cursor().Seek(k)
	return bytes.Equal(got, k)
}
