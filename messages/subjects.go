package messages

// Client API subjects. Every node serves them in the queue group
// APIQueueGroup, so NATS spreads clients over the nodes and any node
// coordinates.
const (
	SubjectGet             = "kv.api.get"
	SubjectPut             = "kv.api.put"
	SubjectDelete          = "kv.api.delete"
	SubjectNamespaceCreate = "kv.admin.ns.create"
	SubjectNamespaceList   = "kv.api.ns.list"
	SubjectStatus          = "kv.api.status"
	APIQueueGroup          = "kv"
)

// Internal subjects. A node subscribes to kv.internal.<node>.> once, so
// subject interest changes only when a node joins, never when a partition
// moves.
const (
	// SubjectJoin is where a starting node announces itself to everyone.
	SubjectJoin    = "kv.internal.join"
	internalPrefix = "kv.internal."
)

// NodeSubjectPrefix is the prefix of every subject addressed to one node.
func NodeSubjectPrefix(node string) string { return internalPrefix + node + "." }

// BatchSubject is where node takes ReplicaBatches: replica requests for its
// partition actors, and responses to its own requests.
func BatchSubject(node string) string { return NodeSubjectPrefix(node) + "batch" }

// GossipSubject is where node takes Gossip from its peers.
func GossipSubject(node string) string { return NodeSubjectPrefix(node) + "gossip" }

// HTTP-style header that switches a request to protojson.
const (
	HeaderContentType = "Content-Type"
	ContentTypeJSON   = "application/json"
)

// NodeAPISubject addresses an API operation ("get", "put", "delete") to one
// node, bypassing the queue group: for clients that want a particular
// coordinator (a ring-aware client, a test, an operator).
func NodeAPISubject(node, op string) string { return "kv.api.node." + node + "." + op }

// Admin operations on one node. Operators grant kv.admin.> only to admin
// users; clients need kv.api.> alone.
const (
	AdminHints        = "hints"
	AdminHintsDrain   = "hints.drain"
	AdminRepairState  = "repair.status"
	AdminRepairNow    = "repair.now"
	AdminDecommission = "decommission"
	AdminTransfers    = "transfers"
)

// SubjectRemove takes a dead node out of the ring; any node answers.
const SubjectRemove = "kv.admin.remove"

// AdminNodeSubject addresses an admin operation (AdminHints, ...) to one node.
func AdminNodeSubject(node, op string) string { return "kv.admin.node." + node + "." + op }
