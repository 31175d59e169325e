package deploy_test

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// manifests are the decoded documents of deploy/k8s, by kind.
type manifests struct {
	statefulSets []*appsv1.StatefulSet
	services     []*corev1.Service
	pdbs         []*policyv1.PodDisruptionBudget
}

// newObject returns the k8s.io/api type for a document's apiVersion and
// kind; a kind the manifests are not expected to hold is an error.
func (m *manifests) newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "apps/v1 StatefulSet":
		o := &appsv1.StatefulSet{}
		m.statefulSets = append(m.statefulSets, o)
		return o, nil
	case "v1 Service":
		o := &corev1.Service{}
		m.services = append(m.services, o)
		return o, nil
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		m.pdbs = append(m.pdbs, o)
		return o, nil
	}
	return nil, fmt.Errorf("apiVersion %q kind %q: not a kind these manifests use", apiVersion, kind)
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// loadManifests strictly decodes every YAML document under deploy/k8s:
// unknown and duplicate fields are errors, and so are field names that
// match only case-insensitively (the API server's decoder is
// case-sensitive, encoding/json is not).
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	m := &manifests{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			if err := m.decode([]byte(doc)); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

func (m *manifests) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	obj, err := m.newObject(tm.APIVersion, tm.Kind)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("strict decoding: %v", strict)
	}
	return nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestManifestsDecodeStrictly guards the decoder the other checks rely on:
// a misspelt field is refused, not dropped.
func TestManifestsDecodeStrictly(t *testing.T) {
	for _, bad := range []string{
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIp: None}\n",   // wrong case
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {headless: true}\n",    // no such field
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",       // duplicate
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",                    // unexpected kind
		"apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec: {maxUnavailable: [1]}\n", // wrong type
	} {
		if err := (&manifests{}).decode([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

// TestManifests checks what must hold between the objects for the
// cluster to form, stay available and be reachable.
func TestManifests(t *testing.T) {
	m := loadManifests(t)
	if len(m.statefulSets) != 1 || len(m.pdbs) != 1 {
		t.Fatalf("want one StatefulSet and one PodDisruptionBudget, have %d and %d", len(m.statefulSets), len(m.pdbs))
	}
	sts := m.statefulSets[0]
	pod := labels.Set(sts.Spec.Template.Labels)
	sel, err := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
	if err != nil || !sel.Matches(pod) {
		t.Fatalf("StatefulSet selector %v does not match its pod labels %v (%v)", sts.Spec.Selector, pod, err)
	}
	if len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(sts.Spec.Template.Spec.Containers))
	}
	c := &sts.Spec.Template.Spec.Containers[0]
	env := plainEnv(c)

	t.Run("probes", func(t *testing.T) { checkProbes(t, c, env) })
	t.Run("services", func(t *testing.T) { checkServices(t, m.services, sts, c) })
	t.Run("pdb", func(t *testing.T) {
		pdb := m.pdbs[0]
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "1" {
			t.Errorf("PodDisruptionBudget maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
		}
		psel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || psel.Empty() || !psel.Matches(pod) {
			t.Errorf("PodDisruptionBudget selector %v does not select the StatefulSet's pods %v (%v)", pdb.Spec.Selector, pod, err)
		}
	})
	t.Run("identity", func(t *testing.T) { checkIdentity(t, c) })
	t.Run("join", func(t *testing.T) { checkJoin(t, sts, c, env) })
	t.Run("storage", func(t *testing.T) { checkStorage(t, sts, c, env) })
	t.Run("security", func(t *testing.T) { checkSecurity(t, sts, c) })
	t.Run("flags", func(t *testing.T) { checkFlags(t, c) })
}

// plainEnv is the container's literal KVNODE_* values.
func plainEnv(c *corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// containerPort resolves a probe's or Service's target port (a name or a
// number) to a port the container declares.
func containerPort(c *corev1.Container, p string) (int32, bool) {
	for _, cp := range c.Ports {
		if cp.Name == p || strconv.Itoa(int(cp.ContainerPort)) == p {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

// listenPort is the port of a KVNODE_*LISTEN address.
func listenPort(t *testing.T, env map[string]string, name string) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(env[name])
	p, perr := strconv.Atoi(port)
	if err != nil || perr != nil {
		t.Fatalf("%s=%q: want host:port", name, env[name])
	}
	return int32(p)
}

func checkProbes(t *testing.T, c *corev1.Container, env map[string]string) {
	httpPort := listenPort(t, env, "KVNODE_HTTP_LISTEN")
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/livez"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet", pr.name)
			continue
		}
		g := pr.probe.HTTPGet
		port, ok := containerPort(c, g.Port.String())
		switch {
		case g.Path != pr.path:
			t.Errorf("%s probe path %q, want %q", pr.name, g.Path, pr.path)
		case !ok:
			t.Errorf("%s probe port %s is not a port the container declares", pr.name, g.Port.String())
		case port != httpPort:
			t.Errorf("%s probe port %d, but the node serves HTTP on %d (KVNODE_HTTP_LISTEN)", pr.name, port, httpPort)
		}
	}
}

func checkServices(t *testing.T, services []*corev1.Service, sts *appsv1.StatefulSet, c *corev1.Container) {
	pod := labels.Set(sts.Spec.Template.Labels)
	env := plainEnv(c)
	var headless, clients *corev1.Service
	for _, s := range services {
		if s.Name == sts.Spec.ServiceName {
			headless = s
		} else if servicePort(s, listenPort(t, env, "KVNODE_LISTEN"), c) != nil {
			clients = s
		}
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(pod) {
			t.Errorf("Service %s selector %v does not select the StatefulSet's pods %v", s.Name, s.Spec.Selector, pod)
		}
	}
	if headless == nil {
		t.Fatalf("no Service named %q (the StatefulSet's serviceName)", sts.Spec.ServiceName)
	}
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service %s: clusterIP %q, want None (headless, for per-pod DNS names)", headless.Name, headless.Spec.ClusterIP)
	}
	if !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: publishNotReadyAddresses must be true: peers must find a node before it is ready", headless.Name)
	}
	routes := listenPort(t, env, "KVNODE_CLUSTER_LISTEN")
	if p := servicePort(headless, routes, c); p == nil || p.Name != "routes" {
		t.Errorf("Service %s: want a port named routes reaching the container's route port %d", headless.Name, routes)
	}
	if clients == nil {
		t.Errorf("no client Service reaching the container's client port %d", listenPort(t, env, "KVNODE_LISTEN"))
	}
}

// servicePort is the Service port whose target is the container port want.
func servicePort(s *corev1.Service, want int32, c *corev1.Container) *corev1.ServicePort {
	for i, p := range s.Spec.Ports {
		target := p.TargetPort.String()
		if p.TargetPort.IntValue() == 0 && p.TargetPort.StrVal == "" {
			target = strconv.Itoa(int(p.Port))
		}
		if got, ok := containerPort(c, target); ok && got == want {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

// checkIdentity: the node id is the pod's stable name, from the downward
// API, so it matches the PVC the pod keeps.
func checkIdentity(t *testing.T, c *corev1.Container) {
	want := map[string]string{"KVNODE_NAME": "metadata.name", "KVNODE_ZONE": "metadata.labels['topology.kubernetes.io/zone']"}
	for _, e := range c.Env {
		if path, ok := want[e.Name]; ok {
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != path {
				t.Errorf("%s: want it from the downward API field %s", e.Name, path)
			}
			delete(want, e.Name)
		}
	}
	for name := range want {
		t.Errorf("%s is not set", name)
	}
}

// checkJoin: --join names every pod's route address by its stable DNS
// name under the headless Service.
func checkJoin(t *testing.T, sts *appsv1.StatefulSet, c *corev1.Container, env map[string]string) {
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas < 3 {
		t.Fatalf("replicas %v: want at least 3 (N=3)", sts.Spec.Replicas)
	}
	if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy %q: want Parallel, so that the first nodes find each other and form one cluster", sts.Spec.PodManagementPolicy)
	}
	routes := listenPort(t, env, "KVNODE_CLUSTER_LISTEN")
	var want []string
	for i := range int(*sts.Spec.Replicas) {
		want = append(want, fmt.Sprintf("nats://%s-%d.%s:%d", sts.Name, i, sts.Spec.ServiceName, routes))
	}
	got := strings.Split(env["KVNODE_JOIN"], ",")
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("KVNODE_JOIN\n got %s\nwant %s", strings.Join(got, ","), strings.Join(want, ","))
	}
	for _, u := range got {
		if _, err := url.Parse(u); err != nil {
			t.Errorf("join URL %q: %v", u, err)
		}
	}
}

// checkStorage: one PVC per pod, mounted where the node keeps its data;
// the NATS configuration file comes from a mounted Secret.
func checkStorage(t *testing.T, sts *appsv1.StatefulSet, c *corev1.Container, env map[string]string) {
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("want one volumeClaimTemplate, have %d", len(sts.Spec.VolumeClaimTemplates))
	}
	claim := sts.Spec.VolumeClaimTemplates[0].Name
	if vm, ok := mounts[claim]; !ok || vm.MountPath != env["KVNODE_DATA_DIR"] {
		t.Errorf("claim %s mounted at %q, but KVNODE_DATA_DIR is %q", claim, vm.MountPath, env["KVNODE_DATA_DIR"])
	}
	conf := env["KVNODE_NATS_CONFIG"]
	secrets := map[string]string{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			secrets[v.Name] = v.Secret.SecretName
		}
	}
	found := false
	for name, vm := range mounts {
		if _, ok := secrets[name]; ok && filepath.Dir(conf) == filepath.Clean(vm.MountPath) {
			found = true
		}
	}
	if !found {
		t.Errorf("KVNODE_NATS_CONFIG=%q is not a file in a mounted Secret", conf)
	}
	if g := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g < 30 {
		t.Errorf("terminationGracePeriodSeconds %v: want at least 30 for a clean stop", g)
	}
}

// checkSecurity: the node runs as the image's non-root user, and the
// volume is writable by it.
func checkSecurity(t *testing.T, sts *appsv1.StatefulSet, c *corev1.Container) {
	psc := sts.Spec.Template.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Fatalf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if psc.FSGroup == nil {
		t.Errorf("pod securityContext: want fsGroup, so that the volume is writable by user %d", *psc.RunAsUser)
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v: want allowPrivilegeEscalation false", sc)
	}
}

// checkFlags: every KVNODE_* variable and every flag in args is one that
// kvnode --help lists.
func checkFlags(t *testing.T, c *corev1.Container) {
	known := kvnodeFlags(t)
	check := func(flag, where string) {
		if known[flag] {
			return
		}
		t.Errorf("%s: kvnode has no flag --%s", where, flag)
	}
	for _, e := range c.Env {
		if name, ok := strings.CutPrefix(e.Name, "KVNODE_"); ok {
			check(strings.ReplaceAll(strings.ToLower(name), "_", "-"), e.Name)
		}
	}
	for _, a := range append(append([]string{}, c.Command...), c.Args...) {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			check(name, a)
		}
	}
}

var helpFlag = regexp.MustCompile(`(?m)^\s+-{1,2}([a-z0-9][a-z0-9-]*)\b`)

// kvnodeFlags runs the kvnode this tree builds with --help and returns
// the flag names it lists.
func kvnodeFlags(t *testing.T) map[string]bool {
	t.Helper()
	kvnode, _, err := testcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kvnode, "--help")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kvnode --help: %v\n%s", err, out.String())
	}
	flags := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(out.String(), -1) {
		flags[m[1]] = true
	}
	if !flags["data-dir"] || !flags["join"] {
		t.Fatalf("kvnode --help lists no --data-dir or --join; parsed %v from:\n%s", flags, out.String())
	}
	return flags
}
