// Package webhooks tells organizations of events in Custos by HTTP POST to
// URLs they register, and gives receivers [Verify] to check what they get.
//
// # Events
//
// An organization subscribes a webhook to some of [Events]:
//
//   - evidence.timestamped: a record was filed and time-stamped (data: the
//     API's evidence view);
//   - evidence.anchored: its created event is final in the consortium log
//     (data: the evidence record);
//   - evidence.shared: evidence or a matter was shared by or with the
//     organization (data: the share);
//   - copyright.transfer: a copyright transfer offer was made, accepted,
//     declined, withdrawn or found expired (data: the offer); sent to both
//     organizations;
//   - copyright.numbered: the consortium's register numbered a pending
//     registration (data: the registration); sent to its registrant and
//     owner organizations;
//   - directory.name_conflict: the organization cannot enter the
//     consortium's directory, another member's organization holds its name
//     (data: the organization, the name, the holder and its home member);
//     sent once per conflict.
//
// # Delivery
//
// [Service.Publish] writes one delivery per subscribed webhook to a durable
// outbox in bbolt, in the same small transaction, and wakes the workers; a
// crash after Publish returns loses no notification. [Service.Run] posts
// each delivery, at most Config.Workers at once and at most Workers-1 of
// one organization's (so that receivers that stall delay only their own
// organization's deliveries), as
//
//	POST <url>
//	Content-Type: application/json
//	Custos-Webhook-Id: <webhook id>
//	Custos-Delivery-Id: <delivery id>
//	Custos-Event: <event type>
//	Custos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
//	{"id":"<delivery id>","type":"<event type>","created_at":"<RFC 3339>","org":"<org id>","data":{...}}
//
// A 2xx answer within the client timeout is success. Anything else (another
// status, a redirect, a timeout, a refused connection) is retried with
// exponential backoff and jitter, up to Config.MaxAttempts, after which the
// delivery is marked failed. An organization has at most [MaxPending]
// deliveries pending; past that, a delivery is marked failed at once
// ([ReasonBacklog]). Every attempt is kept in the delivery log
// ([Service.Deliveries]).
//
// Delivery is at least once: a node that stops during an attempt makes it
// again after a restart. Receivers deduplicate by Custos-Delivery-Id. Order
// is not guaranteed across deliveries (a retried delivery may arrive after
// a later one); the payload's created_at and data carry what ordering needs.
//
// # Paused webhooks
//
// A webhook is paused while the key that registered it (its created_by)
// is not active: revoked, expired or gone (Config.CreatorActive). Its
// events are still queued; a delivery found due is not posted but parked,
// pending, with [ReasonPaused] in its log (not counted toward
// MaxAttempts), and costs the workers nothing more. Another key of the
// organization adopts the webhook ([Service.Adopt]): it becomes the
// webhook's creator, the webhook gets a new secret (the old key's holder
// knows the old one), and the parked deliveries are due at once.
//
// # Signatures
//
// Each webhook has a secret, shown once when it is created, and kept sealed
// under the node's seal key (Config.Sealer, LoadSealKey), so that a copy of
// the database alone reveals none. The HMAC key is the secret string
// exactly as shown (its ASCII bytes, not its base64url decoding). Every
// attempt is signed anew with its own time t, so that a receiver can
// refuse replays older than a few minutes ([Verify]).
//
// # Network
//
// Webhook URLs are chosen by API clients, so by default the service refuses
// to connect to loopback, private, link-local and other non-public
// addresses (checked when connecting, after DNS resolution), and never
// follows redirects. Config.AllowPrivate lifts the address check, for
// receivers on the operator's own network and for tests.
package webhooks
