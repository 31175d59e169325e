package actors

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quorumkv/quorumkv/members"
)

// startHTTP serves /livez, /healthz, /readyz, /metrics and /debug/pprof
// on cfg.HTTPListen, if set.
//
// /livez: the process is up. /healthz: it serves requests (storage open,
// NATS connected). /readyz: it serves and holds its replicas: a joining
// node turns ready only once it has received every partition it owns, so
// that a rolling update waits for it before taking the next node down.
func (n *Node) startHTTP() error {
	if n.cfg.HTTPListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", n.cfg.HTTPListen)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(n.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if n.serving() {
			fmt.Fprintln(w, "ok")
			return
		}
		http.Error(w, "not serving", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch st := n.selfState(); {
		case !n.serving():
			http.Error(w, "not serving", http.StatusServiceUnavailable)
		case st == members.Joining:
			http.Error(w, "joining: receiving the partitions it owns", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	// Profiles, for finding what a hot path spends its time on.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	n.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	n.goTracked(func() {
		if err := n.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	})
	return nil
}

func (n *Node) serving() bool { return n.ready.Load() && n.conn.Connected() }
