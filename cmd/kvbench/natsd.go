package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsdCommand runs a plain nats-server with JetStream until interrupted:
// for the JetStream rows kvnode cannot provide, chiefly JetStream with
// sync_interval: always (kvnode's embedded JetStream keeps the server's
// default, a lazy fsync every 2 minutes).
func natsdCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvbench natsd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "js1", "server name, unique in the cluster")
	listen := fs.String("listen", "127.0.0.1:4222", "client address host:port")
	clusterListen := fs.String("cluster-listen", "", "route address host:port (empty: no cluster)")
	join := fs.String("join", "", "comma-separated route URLs of the cluster's servers")
	storeDir := fs.String("store-dir", "", "JetStream store directory (required)")
	syncMode := fs.String("sync", "always", "JetStream fsync: always (every write) or an interval such as 2m (the nats-server default)")
	verbose := fs.Bool("v", false, "log the server's notices and warnings to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	opts, err := natsdOptions(*name, *listen, *clusterListen, *join, *storeDir, *syncMode)
	if err != nil {
		return usageError{err}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	if *verbose {
		s.SetLogger(stderrLogger{stderr}, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("server did not start listening on %s", *listen)
	}
	<-ctx.Done()
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}

// natsdOptions builds the server options of natsdCommand.
func natsdOptions(name, listen, clusterListen, join, storeDir, syncMode string) (*server.Options, error) {
	if storeDir == "" {
		return nil, errors.New("--store-dir is required")
	}
	host, port, err := hostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	opts := &server.Options{
		ServerName: name,
		Host:       host,
		Port:       port,
		NoSigs:     true,
		NoLog:      true,
		JetStream:  true,
		StoreDir:   storeDir,
	}
	if syncMode == "always" {
		opts.SyncAlways = true
	} else {
		d, err := time.ParseDuration(syncMode)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--sync %q: want always or a positive duration", syncMode)
		}
		opts.SyncInterval = d
	}
	if clusterListen != "" {
		chost, cport, err := hostPort(clusterListen)
		if err != nil {
			return nil, fmt.Errorf("--cluster-listen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: "kvbench-js", Host: chost, Port: cport}
		opts.Routes = server.RoutesFromStr(join)
	}
	return opts, nil
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

// stderrLogger prints the server's notices, warnings and errors.
type stderrLogger struct{ w io.Writer }

func (l stderrLogger) Noticef(f string, v ...any) { fmt.Fprintf(l.w, "[INF] "+f+"\n", v...) }
func (l stderrLogger) Warnf(f string, v ...any)   { fmt.Fprintf(l.w, "[WRN] "+f+"\n", v...) }
func (l stderrLogger) Fatalf(f string, v ...any)  { fmt.Fprintf(l.w, "[FTL] "+f+"\n", v...) }
func (l stderrLogger) Errorf(f string, v ...any)  { fmt.Fprintf(l.w, "[ERR] "+f+"\n", v...) }
func (l stderrLogger) Debugf(string, ...any)      {}
func (l stderrLogger) Tracef(string, ...any)      {}
