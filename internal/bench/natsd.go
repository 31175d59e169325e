package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSDConfig is a plain nats-server with JetStream, for the JetStream
// rows kvnode cannot provide: chiefly JetStream with sync_interval:
// always (kvnode's embedded JetStream keeps the server's default, a lazy
// fsync every 2 minutes).
type NATSDConfig struct {
	// Name is the server name, unique in the cluster.
	Name string
	// Listen is the client address host:port.
	Listen string
	// ClusterListen is the route address host:port (empty: no cluster).
	ClusterListen string
	// Join is the comma-separated route URLs of the cluster's servers.
	Join string
	// StoreDir is the JetStream store directory (required).
	StoreDir string
	// Sync is always (fsync every write) or an interval such as 2m.
	Sync string
}

// Validate rejects settings the server cannot start with.
func (c NATSDConfig) Validate() error {
	_, err := c.options()
	return err
}

// RunNATSD runs the server until ctx ends, then shuts it down. log, when
// not nil, receives the server's notices, warnings and errors.
func RunNATSD(ctx context.Context, cfg NATSDConfig, log io.Writer) error {
	opts, err := cfg.options()
	if err != nil {
		return err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	if log != nil {
		s.SetLogger(writerLogger{log}, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("server did not start listening on %s", cfg.Listen)
	}
	<-ctx.Done()
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}

// options builds the server options of c.
func (c NATSDConfig) options() (*server.Options, error) {
	if c.StoreDir == "" {
		return nil, errors.New("--store-dir is required")
	}
	host, port, err := hostPort(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	opts := &server.Options{
		ServerName: c.Name,
		Host:       host,
		Port:       port,
		NoSigs:     true,
		NoLog:      true,
		JetStream:  true,
		StoreDir:   c.StoreDir,
	}
	if err := setSync(opts, c.Sync); err != nil {
		return nil, err
	}
	if c.ClusterListen != "" {
		chost, cport, err := hostPort(c.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("--cluster-listen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: "kvbench-js", Host: chost, Port: cport}
		opts.Routes = server.RoutesFromStr(c.Join)
	}
	return opts, nil
}

// setSync sets JetStream's fsync policy: always, or every interval.
func setSync(opts *server.Options, sync string) error {
	if sync == "always" {
		opts.SyncAlways = true
		return nil
	}
	d, err := time.ParseDuration(sync)
	if err != nil || d <= 0 {
		return fmt.Errorf("--sync %q: want always or a positive duration", sync)
	}
	opts.SyncInterval = d
	return nil
}

func hostPort(addr string) (string, int, error) {
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

// writerLogger prints the server's notices, warnings and errors, one line
// each in nats-server's own format; it drops debug and trace.
type writerLogger struct{ w io.Writer }

func (l writerLogger) Noticef(f string, v ...any) { fmt.Fprintf(l.w, "[INF] "+f+"\n", v...) }
func (l writerLogger) Warnf(f string, v ...any)   { fmt.Fprintf(l.w, "[WRN] "+f+"\n", v...) }
func (l writerLogger) Fatalf(f string, v ...any)  { fmt.Fprintf(l.w, "[FTL] "+f+"\n", v...) }
func (l writerLogger) Errorf(f string, v ...any)  { fmt.Fprintf(l.w, "[ERR] "+f+"\n", v...) }
func (l writerLogger) Debugf(string, ...any)      {}
func (l writerLogger) Tracef(string, ...any)      {}
