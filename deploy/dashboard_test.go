package deploy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// TestDashboardMetricsExported starts a real three-node cluster, sends it
// writes and reads (so that per-op and per-peer series exist), scrapes
// every node's /metrics and checks that each metric the dashboard queries
// is among them.
func TestDashboardMetricsExported(t *testing.T) {
	queried := dashboardMetrics(t, "grafana-dashboard.json")
	c := testcluster.NewCluster(t, 3, nil)
	c.Start()
	cl := c.Client(c.Nodes[0])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 20 {
		key := fmt.Sprintf("k%d", i)
		if _, err := cl.Put(ctx, key, []byte("v"), client.WithW(3)); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		if _, err := cl.Get(ctx, key, client.WithR(3)); err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
	}
	exported := map[string]string{}
	for _, n := range c.Nodes {
		for name, typ := range scrapeFamilies(t, n.HTTPURL()+"/metrics") {
			exported[name] = typ
		}
	}
	var missing []string
	for _, name := range queried {
		if !isExported(name, exported) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the dashboard queries metrics no node exports: %s", strings.Join(missing, ", "))
	}
}

// isExported: name is a family, or a histogram's or summary's series.
func isExported(name string, families map[string]string) bool {
	if _, ok := families[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if typ := families[base]; ok && (typ == "histogram" || (typ == "summary" && suffix != "_bucket")) {
			return true
		}
	}
	return false
}

// scrapeFamilies reads the Prometheus text format's # TYPE lines: every
// family with at least one series.
func scrapeFamilies(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	families := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			families[f[2]] = f[3]
		}
	}
	if err := sc.Err(); err != nil || len(families) == 0 {
		t.Fatalf("scrape %s: %d families, %v", url, len(families), err)
	}
	return families
}

// dashboardMetrics returns the metric names every query of the dashboard
// (panel targets, also inside collapsed rows, and template variables)
// refers to, sorted.
func dashboardMetrics(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels     []dashPanel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	names := map[string]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q: a target without expr", p.Title)
				}
				for _, n := range promqlMetrics(tg.Expr) {
					names[n] = true
				}
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			json.Unmarshal(v.Query, &q.Query)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("template query %q: want label_values(metric, label)", q.Query)
			continue
		}
		names[m[1]] = true
	}
	if len(names) == 0 {
		t.Fatalf("%s: no metrics found in its queries", path)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type dashPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

var (
	labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	// What in PromQL is not a metric name: strings, label matchers, range
	// and subquery brackets, and the label lists of by, without, on,
	// ignoring, group_left and group_right.
	promqlNoise = []*regexp.Regexp{
		regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`),
		regexp.MustCompile(`\{[^}]*\}`),
		regexp.MustCompile(`\[[^\]]*\]`),
		regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`),
	}
	promqlIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"}
)

// promqlMetrics returns the metric names in a PromQL expression: the
// identifiers left once the noise is gone that are neither functions
// (followed by a parenthesis), keywords, nor parts of numbers.
func promqlMetrics(expr string) []string {
	for _, re := range promqlNoise {
		expr = re.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, loc := range promqlIdent.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		rest := strings.TrimSpace(expr[loc[1]:])
		if loc[0] > 0 && strings.ContainsAny(expr[loc[0]-1:loc[0]], "0123456789.") {
			continue // the exponent of 1e3
		}
		if strings.HasPrefix(rest, "(") || slices.Contains(promqlKeywords, strings.ToLower(name)) {
			continue
		}
		names = append(names, name)
	}
	return names
}

func TestPromQLMetrics(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (op, le) (rate(a_bucket{job=~"$job", code!="x"}[$__rate_interval]))`: "a_bucket",
		`histogram_quantile(0.99, sum without (instance) (rate(b[5m])))`:             "b",
		`sum(rate(c[1m])) / (sum(rate(d[1m])) + on(instance) group_left(peer) e)`:    "c d e",
		`increase(f[1h]) > 1e3 and g offset 5m`:                                      "f g",
	} {
		if got := strings.Join(promqlMetrics(expr), " "); got != want {
			t.Errorf("%s: got %q, want %q", expr, got, want)
		}
	}
}
