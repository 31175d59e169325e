// Package client is the Go SDK of quorumkv, a Dynamo-style key-value store
// whose nodes serve requests over NATS.
//
// # Use
//
// Connect dials NATS and returns a Client that owns the connection; New
// wraps a *nats.Conn the caller already has. A Client is safe for
// concurrent use, and one Client per process is enough: every call is a
// NATS request-reply on the shared connection.
//
//	c, err := client.Connect("nats://127.0.0.1:4222")
//	if err != nil { ... }
//	defer c.Close()
//
//	w, err := c.Put(ctx, "user:42", data, client.WithContentType("application/json"))
//	r, err := c.Get(ctx, "user:42")
//	if errors.Is(err, client.ErrNotFound) { ... }
//	value := r.Values[0].Data
//
// A cluster whose NATS configuration requires credentials or TLS takes
// them as ConnectOptions, each of which may be given empty (adding
// nothing), so that command-line flags pass straight through:
//
//	c, err := client.Connect(url,
//		client.WithUserPassword(user, password), // or WithCredsFile, WithNKeyFile
//		client.WithTLSFiles(caFile, certFile, keyFile))
//
// # Rules
//
//  1. ctx is the first argument of every call and bounds it. A nil ctx is
//     ErrInvalidArgument. A ctx already done fails the call before it
//     touches the network; a ctx that ends during the call fails it with an
//     error that is ctx.Err() (and ErrTimeout too, for a deadline).
//  2. Get, Put, Delete and Status go to one node, which coordinates the
//     call: by default the node that embeds the NATS server the client is
//     connected to, on kv.api.node.<id>.<op>, two route hops shorter than
//     a delivery to another node; with ViaNode, the node it names
//     (ErrNoServers when that node is down). They go to the shared
//     kv.api.<op>, where NATS picks any node, with WithAnyNode, or when
//     the connected server embeds no node (a plain NATS server; the client
//     learns it from one "no responders", retries there and remembers).
//     CreateNamespace and ListNamespaces always use the shared
//     kv.admin.ns.create and kv.api.ns.list; the maintenance calls below go to
//     the node they name. The node is the authority on every check; the
//     client repeats only the cheap ones (empty key, negative R or W,
//     negative timeout, a malformed namespace definition, an invalid node
//     id) so that those fail without a round trip.
//  3. To update a value, read it and send the Result's Context back with
//     WithCausalContext: the write then supersedes exactly what the read
//     saw. A Put without a context is a blind write: it supersedes nothing,
//     so in a namespace in siblings mode (the default) it becomes a sibling
//     of every value the key already holds. Update does the read, the write
//     and the retries when a concurrent write raced it; its doc says
//     exactly what it guarantees and what its function must do.
//  4. A Get may return several values (Result.Siblings). Resolve them in
//     the application, then Put the merged value with the Get's Context.
//  5. Deletes write a tombstone; like Put, they take the context of a read.
//     Deleting a missing key succeeds.
//
// # Errors
//
// A failure reported by a node is an *Error carrying the wire ErrorCode,
// its message and, for quorum failures, how many replicas answered (Got)
// and were needed (Needed). Read it with errors.As. Test its kind with
// errors.Is against the sentinels:
//
//	ErrNotFound           Get found no value (not an error on the wire: an answer)
//	ErrQuorumUnavailable  fewer than R or W replicas reachable
//	ErrTimeout            the quorum did not form in time, no node answered in
//	                      time, or ctx passed its deadline
//	ErrInvalidArgument    invalid key, value too large, bad R/W or namespace,
//	                      bad context token, unknown namespace, malformed request
//	ErrUnknownNamespace   the namespace does not exist (also ErrInvalidArgument)
//	ErrCorrupt            a stored record failed its checksum
//	ErrInternal           anything else the node reports
//	ErrNoServers          no node serves the subject (NATS "no responders"), or
//	                      the client is not connected
//	ErrPermissionDenied   NATS does not let this user publish on the subject (or
//	                      subscribe to the replies); the message names it
//	ErrAuthFailed         Connect: the server refused the credentials
//	ErrTLS                Connect: TLS failed, or a TLS file does not load; the
//	                      message starts "tls:"
//	ErrConflict           Update: concurrent writers kept racing it
//
// ErrQuorumUnavailable, ErrTimeout and ErrNoServers are worth retrying with
// backoff (a node may be restarting or the membership changing); the
// ErrInvalidArgument family, ErrPermissionDenied and ErrAuthFailed are not.
//
// Messages are in the user's terms: what failed and why, with the limit or
// the subject concerned, and none of the prefixes of the libraries below.
// A value over the node's limit names that limit (the node's
// --max-value-bytes), even when the value is too large for NATS to carry
// and the node never sees it: the client then asks the node its limit once,
// with a request that cannot write (see limit.go).
//
// NATS reports a refused publish only asynchronously, to the connection's
// error handler. Connect and New put the client's own handler in front of
// the connection's (which still gets every error), so that a call on a
// refused subject fails at once rather than at its timeout. A call that
// the client routed to its local node's own subject (kv.api.node.<id>.<op>)
// and that is refused there goes to the shared subject instead, so users
// granted only kv.api.get, kv.api.put and kv.api.delete work too.
//
// # Options
//
// Per call, as functional options: WithR and WithW (0 means the namespace's
// default), WithNamespace (default "default"), WithCausalContext,
// WithContentType, WithTimeout, Strict or Sloppy quorum, ViaNode, and
// WithMaxAttempts for Update. Get sends R only; Put and Delete send W only.
// WithContext is the deprecated name of WithCausalContext.
//
// WithTimeout is the server-side timeout: how long the coordinating node
// waits for its quorum before it answers ERROR_CODE_TIMEOUT. The client
// waits a little longer (a tenth more, between 50ms and 1s), so that the
// node's answer, with its got/needed counts, arrives instead of a bare
// client-side timeout. Without WithTimeout, or when ctx's deadline comes
// first, the node gets the time left before ctx's deadline less that
// margin; when ctx has no deadline, the client's default (DefaultTimeout,
// 5s, or WithDefaultTimeout).
//
// # Maintenance
//
// Hints, DrainHints, RepairStatus and RepairNow look at and drive one node's
// hinted handoff and Merkle anti-entropy. Each goes to the node it names,
// on kv.admin.node.<id>.<op>, and that node answers for itself only; the
// member ids to ask come from Status. Because they live under kv.admin.>,
// NATS permissions can keep applications to kv.api.> and leave these to
// operators. DrainHints and RepairNow answer only when their work is done:
// without a ctx deadline they wait up to AdminWorkTimeout (60s), or the
// client's default timeout if that is longer.
//
//	st, err := c.Status(ctx)
//	for _, m := range st.Members {
//		r, err := c.Hints(ctx, m.ID)
//		...
//	}
package client
