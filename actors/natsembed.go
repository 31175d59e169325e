package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// clusterName is the NATS route cluster name every embedded server uses.
const clusterName = "quorumkv"

// startEmbeddedNATS starts the node's own NATS server: a client port for kv
// clients, and routes to the other nodes when clustered. With a config
// file (cfg.NATSConfig) the server takes its auth, TLS and cluster blocks
// from it; the node's flags still set the listen addresses, routes, max
// payload and JetStream. When the server asks for credentials, the user
// returned is the node's own (nil when the server is open).
func startEmbeddedNATS(cfg *Config) (*server.Server, *internalUser, error) {
	opts, err := embeddedOptions(cfg)
	if err != nil {
		return nil, nil, err
	}
	var self *internalUser
	if authRequired(opts) {
		if self, err = newInternalUser(); err != nil {
			return nil, nil, err
		}
		self.grant(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("nats server: %w", err)
	}
	logger := natsLogger{l: cfg.Logger.With("lib", "nats-server"), fatal: make(chan string, 1)}
	s.SetLogger(logger, false, false)
	go s.Start()
	if err := waitReady(s, logger.fatal, 10*time.Second); err != nil {
		s.Shutdown()
		return nil, nil, err
	}
	return s, self, nil
}

// embeddedOptions builds the embedded server's options: the config file's,
// if any, under the node's flags.
func embeddedOptions(cfg *Config) (*server.Options, error) {
	opts := &server.Options{}
	if cfg.NATSConfig != "" {
		var err error
		if opts, err = loadNATSConfig(cfg.NATSConfig); err != nil {
			return nil, err
		}
	}
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	opts.ServerName, opts.Host, opts.Port = cfg.Name, host, port
	opts.NoSigs = true // without it SIGINT makes the server os.Exit, skipping Pebble's Close
	opts.NoLog = true
	opts.MaxPayload = cfg.maxPayload()
	if cfg.JetStream {
		opts.JetStream = true
		opts.StoreDir = filepath.Join(cfg.DataDir, "jetstream")
	}
	if cfg.ClusterListen != "" {
		chost, cport, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster-listen: %w", err)
		}
		opts.Cluster.Host, opts.Cluster.Port = chost, cport
	}
	if opts.Cluster.Port != 0 {
		if opts.Cluster.Name == "" {
			opts.Cluster.Name = clusterName
		}
		if opts.Cluster.PingInterval == 0 {
			opts.Cluster.PingInterval = 2 * time.Second
		}
		if len(cfg.Join) > 0 {
			opts.Routes = server.RoutesFromStr(strings.Join(cfg.Join, ","))
		}
	}
	return opts, nil
}

// waitReady waits until the server accepts clients. The server reports a
// failure to listen (port in use) only through its logger's Fatalf, which
// an embedded server must not let exit the process, so that is watched too.
func waitReady(s *server.Server, fatal <-chan string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case msg := <-fatal:
			return fmt.Errorf("nats server: %s", msg)
		default:
		}
		if s.ReadyForConnections(50 * time.Millisecond) {
			select {
			case msg := <-fatal:
				return fmt.Errorf("nats server: %s", msg)
			default:
				return nil
			}
		}
	}
	return errors.New("nats server did not become ready")
}

// connectNATS opens the node's client connection: in-process to the
// embedded server, or over TCP to an external NATS cluster.
func connectNATS(cfg *Config, s *server.Server, self *internalUser) (*nats.Conn, error) {
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
		if self != nil {
			opts = append(opts, self.option())
		}
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

// natsLogger routes the embedded server's log lines into slog. Errors
// that stop the server (Fatalf, and listen failures, which the server
// reports with Errorf) are also handed to the starter through fatal.
type natsLogger struct {
	l     *slog.Logger
	fatal chan string
}

func (n natsLogger) report(msg string) {
	select {
	case n.fatal <- msg:
	default:
	}
}

func (n natsLogger) Noticef(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Warnf(f string, v ...any)   { n.l.Warn(fmt.Sprintf(f, v...)) }
func (n natsLogger) Fatalf(f string, v ...any) {
	msg := fmt.Sprintf(f, v...)
	n.l.Error(msg)
	n.report(msg)
}

func (n natsLogger) Errorf(f string, v ...any) {
	msg := fmt.Sprintf(f, v...)
	n.l.Error(msg)
	if strings.HasPrefix(msg, "Error listening on") {
		n.report(msg)
	}
}
func (n natsLogger) Debugf(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Tracef(f string, v ...any) {}
