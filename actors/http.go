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

// startHTTP serves /livez, /readyz, /healthz, /metrics and, with
// cfg.PProf, /debug/pprof on cfg.HTTPListen, if set.
//
// /livez: the process is up (a liveness probe restarts it otherwise).
// /readyz: it serves requests (storage open, NATS connected) and holds its
// replicas: a joining node turns ready only once it has received every
// partition it owns, so that a rolling update waits for it before taking
// the next node down. /healthz is the same as /readyz.
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
	mux.HandleFunc("/readyz", n.handleReady)
	mux.HandleFunc("/healthz", n.handleReady)
	if n.cfg.PProf {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	n.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	n.goTracked(func() {
		if err := n.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	})
	return nil
}

func (n *Node) handleReady(w http.ResponseWriter, _ *http.Request) {
	switch st := n.selfState(); {
	case !n.serving():
		http.Error(w, "not serving", http.StatusServiceUnavailable)
	case st == members.Joining:
		http.Error(w, "joining: receiving the partitions it owns", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ok")
	}
}

func (n *Node) serving() bool { return n.ready.Load() && n.conn.Connected() }
