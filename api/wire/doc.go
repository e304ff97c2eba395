// Package wire holds the JSON documents of the Custos HTTP API: the
// request bodies a client sends and the answers a server gives, with the
// header names and limits both sides must agree on. The server (package
// api) encodes its answers with these types or with domain types of the
// same JSON shape (api's wire_test.go holds each pair to that), and the Go
// client (api/client) decodes into them, so that a client builds without
// the server: this package imports nothing of it but the custody events
// and receipts that answers carry.
package wire
