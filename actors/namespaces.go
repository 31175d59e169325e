package actors

import (
	"fmt"
	"regexp"
	"sort"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// DefaultNamespace always exists: N=3, R=2, W=2, siblings.
const DefaultNamespace = "default"

// defaultReplicas is the N of a namespace created without one (n=0 on the
// wire, absent in JSON): three copies survive one lost node with a
// majority quorum (R=W=2) still available, as in Dynamo and Riak.
const defaultReplicas = 3

// maxReplicas bounds a namespace's N: more replicas than this is a
// configuration mistake, not a durability choice.
const maxReplicas = 16

const namespaceMetaPrefix = "ns/"

var namespaceNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// namespaceTable is the node's durable copy of the cluster's namespaces. It
// is shared by every coordinator, so it guards itself with a mutex; it is
// read on every request and written only when a namespace is created.
type namespaceTable struct {
	db *storage.DB

	mu sync.RWMutex
	// byName holds immutable *messages.Namespace values: replace, never mutate.
	byName map[string]*messages.Namespace
}

func defaultNamespace() *messages.Namespace {
	return &messages.Namespace{Name: DefaultNamespace, N: defaultReplicas, R: 2, W: 2}
}

// loadNamespaces reads the table from the data dir.
func loadNamespaces(db *storage.DB) (*namespaceTable, error) {
	t := &namespaceTable{db: db, byName: map[string]*messages.Namespace{DefaultNamespace: defaultNamespace()}}
	err := db.ScanMeta(namespaceMetaPrefix, func(_ string, v []byte) error {
		ns := &messages.Namespace{}
		if err := proto.Unmarshal(v, ns); err != nil {
			return fmt.Errorf("namespace table: %w", err)
		}
		t.byName[ns.Name] = ns
		return nil
	})
	return t, err
}

func (t *namespaceTable) get(name string) (*messages.Namespace, bool) {
	if name == "" {
		name = DefaultNamespace
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	ns, ok := t.byName[name]
	return ns, ok
}

// list returns every namespace sorted by name.
func (t *namespaceTable) list() []*messages.Namespace {
	t.mu.RLock()
	out := make([]*messages.Namespace, 0, len(t.byName))
	for _, ns := range t.byName {
		out = append(out, ns)
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// validateNamespace checks a definition and fills the defaults: N=3 when
// it is zero, then R and W with a majority of N when they are zero.
func validateNamespace(ns *messages.Namespace) *apiError {
	if ns == nil {
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "the request has no namespace definition")
	}
	bad := func(f string, a ...any) *apiError {
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "namespace %q: "+f, append([]any{ns.Name}, a...)...)
	}
	if ns.N == 0 {
		ns.N = defaultReplicas
	}
	switch {
	case !namespaceNamePattern.MatchString(ns.Name):
		return bad("the name must be 1 to 64 of A-Z a-z 0-9 _ . -")
	case ns.N > maxReplicas:
		return bad("n=%d: want 1..%d", ns.N, maxReplicas)
	case ns.Mode != messages.ConflictMode_CONFLICT_MODE_SIBLINGS && ns.Mode != messages.ConflictMode_CONFLICT_MODE_LWW:
		return bad("unknown conflict mode %d", ns.Mode)
	}
	if ns.R == 0 {
		ns.R = ns.N/2 + 1
	}
	if ns.W == 0 {
		ns.W = ns.N/2 + 1
	}
	if ns.R > ns.N || ns.W > ns.N {
		return bad("r=%d w=%d: each must be between 1 and n=%d", ns.R, ns.W, ns.N)
	}
	return nil
}

// create adds a namespace. Creating one that exists with the same N and mode
// succeeds and updates nothing; with a different N or mode it is refused,
// because N is fixed for a namespace's life.
func (t *namespaceTable) create(ns *messages.Namespace) (*messages.Namespace, *apiError) {
	if err := validateNamespace(ns); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.byName[ns.Name]; ok {
		if old.N != ns.N || old.Mode != ns.Mode {
			return nil, errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
				"namespace %q exists with n=%d mode=%s", old.Name, old.N, modeName(old.Mode))
		}
		return old, nil
	}
	if err := t.storeLocked(ns); err != nil {
		return nil, toAPIError(err)
	}
	return ns, nil
}

// merge adopts namespaces learned from peers. When two nodes created the
// same name differently, the earlier creation wins everywhere (ties broken
// by creator id), so the table converges.
func (t *namespaceTable) merge(remote []*messages.Namespace) (changed []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ns := range remote {
		if validateNamespace(ns) != nil || ns.Name == DefaultNamespace {
			continue
		}
		old, ok := t.byName[ns.Name]
		if ok && !createdBefore(ns, old) {
			continue
		}
		if err := t.storeLocked(ns); err == nil {
			changed = append(changed, ns.Name)
		}
	}
	return changed
}

func createdBefore(a, b *messages.Namespace) bool {
	if a.CreatedUnixNano != b.CreatedUnixNano {
		return a.CreatedUnixNano < b.CreatedUnixNano
	}
	return a.CreatedBy < b.CreatedBy
}

func (t *namespaceTable) storeLocked(ns *messages.Namespace) error {
	b, err := proto.Marshal(ns)
	if err != nil {
		return err
	}
	if err := t.db.SetMeta(namespaceMetaPrefix+ns.Name, b); err != nil {
		return fmt.Errorf("store namespace %q: %w", ns.Name, err)
	}
	t.byName[ns.Name] = ns
	return nil
}

func modeName(m messages.ConflictMode) string {
	if m == messages.ConflictMode_CONFLICT_MODE_LWW {
		return "lww"
	}
	return "siblings"
}

// maxN is the largest N of any namespace (at least 1): the number of home
// replicas of a partition that ownership transfers keep whole.
func (t *namespaceTable) maxN() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 1
	for _, ns := range t.byName {
		n = max(n, int(ns.N))
	}
	return n
}
