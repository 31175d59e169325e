package actors

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// clusterName is the NATS route cluster name every embedded server uses.
const clusterName = "quorumkv"

// startEmbeddedNATS starts the node's own NATS server: a client port for kv
// clients, and routes to the other nodes when clustered.
func startEmbeddedNATS(cfg *Config) (*server.Server, error) {
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       port,
		NoSigs:     true, // without it SIGINT makes the server os.Exit, skipping Pebble's Close
		NoLog:      true,
		MaxPayload: cfg.maxPayload(),
	}
	if cfg.ClusterListen != "" {
		chost, cport, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster-listen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: clusterName, Host: chost, Port: cport, PingInterval: 2 * time.Second}
		opts.Routes = server.RoutesFromStr(strings.Join(cfg.Join, ","))
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	s.SetLogger(natsLogger{cfg.Logger.With("lib", "nats-server")}, false, false)
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server did not start listening on %s", cfg.Listen)
	}
	return s, nil
}

// connectNATS opens the node's client connection: in-process to the
// embedded server, or over TCP to an external NATS cluster.
func connectNATS(cfg *Config, s *server.Server) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("kvnode-" + cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			cfg.Logger.Warn("nats async error", "subject", subj, "err", err)
		}),
	}
	if s != nil {
		return nats.Connect("", append(opts, nats.InProcessServer(s))...)
	}
	return nats.Connect(cfg.NATSURL, append(opts, nats.RetryOnFailedConnect(false))...)
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return host, port, nil
}

// natsLogger routes the embedded server's log lines into slog.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) Noticef(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Warnf(f string, v ...any)   { n.l.Warn(fmt.Sprintf(f, v...)) }
func (n natsLogger) Fatalf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n natsLogger) Errorf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n natsLogger) Debugf(f string, v ...any)  { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Tracef(f string, v ...any)  {}
