// Package messages is quorumkv's wire contract: the protobuf messages of the
// client API (kv.proto) and of node-to-node traffic and stored records
// (internal.proto), their generated Go code, and the NATS subjects they
// travel on.
//
// Rules:
//   - Clients publish only under kv.api.> (data operations, the namespace
//     list, status); operators also under kv.admin.> (namespace create,
//     hints, repair, membership changes); nodes talk to each other only
//     under kv.internal.>. NATS permissions can so give each role its
//     prefix and nothing else.
//   - Every API request is answered, and every failure carries an Error with
//     a machine-readable ErrorCode. Not found is an answer (found=false).
//   - A request with header Content-Type: application/json is read and
//     answered as protojson; any other request is protobuf.
//   - Field numbers are never reused; the generated code is committed and
//     `make proto` regenerates it.
package messages
