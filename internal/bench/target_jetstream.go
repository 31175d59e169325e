package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jetStreamBucket is the JetStream KV bucket kvbench loads.
const jetStreamBucket = "bench"

// jetStreamKV loads a JetStream KV bucket (file storage, --n replicas)
// through nats.go's jetstream package: put is kv.Put, get is kv.Get.
type jetStreamKV struct {
	conns   []*nats.Conn
	kvs     []jetstream.KeyValue
	rr      roundRobin
	timeout time.Duration
}

func openJetStream(ctx context.Context, cfg *Config) (target, []string, error) {
	j := &jetStreamKV{timeout: cfg.Timeout}
	var err error
	if j.conns, err = dialAll(connURLs(cfg.Servers, cfg.Conns)); err != nil {
		return nil, nil, err
	}
	setup, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	bucketCfg := jetstream.KeyValueConfig{
		Bucket:   jetStreamBucket,
		Replicas: cfg.N,
		Storage:  jetstream.FileStorage,
		History:  1,
	}
	created, err := createBucket(setup, j.conns[0], bucketCfg)
	if err == nil {
		err = j.bind(setup)
	}
	if err != nil {
		j.Close()
		return nil, nil, err
	}
	direct := "gets go to the stream leader"
	if created.AllowDirect {
		direct = "direct gets (AllowDirect, nats.go's KV default): any replica answers a get, without a quorum"
	}
	notes := []string{
		fmt.Sprintf("JetStream KV bucket %s: R%d, file storage, history 1; %d connections over %d servers",
			jetStreamBucket, created.Replicas, len(j.conns), len(cfg.Servers)),
		"put is kv.Put: acknowledged once a majority of replicas has the message; " + direct,
		"fsync is the servers' setting (nats-server default: every 2 minutes, lazy; sync_interval: always fsyncs each write)",
	}
	return j, notes, nil
}

// bind opens the bucket on every connection.
func (j *jetStreamKV) bind(ctx context.Context) error {
	for _, nc := range j.conns {
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		kv, err := js.KeyValue(ctx, jetStreamBucket)
		if err != nil {
			return fmt.Errorf("bind bucket %s: %w", jetStreamBucket, err)
		}
		j.kvs = append(j.kvs, kv)
	}
	return nil
}

// createBucket creates or updates the bucket, retrying while the
// JetStream cluster elects its meta leader after a start.
func createBucket(ctx context.Context, nc *nats.Conn, cfg jetstream.KeyValueConfig) (jetstream.StreamConfig, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return jetstream.StreamConfig{}, err
	}
	start := time.Now()
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = js.CreateOrUpdateKeyValue(attempt, cfg)
		var stream jetstream.Stream
		if err == nil {
			stream, err = js.Stream(attempt, "KV_"+cfg.Bucket)
		}
		cancel()
		if err == nil {
			return stream.CachedInfo().Config, nil
		}
		// A server without JetStream says so at once; allow a few seconds
		// in case its JetStream is still starting.
		notEnabled := errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
			errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount)
		if notEnabled && time.Since(start) > 3*time.Second {
			return jetstream.StreamConfig{}, fmt.Errorf("create JetStream bucket %s: %w (start kvnode with --jetstream)", cfg.Bucket, err)
		}
		select {
		case <-ctx.Done():
			return jetstream.StreamConfig{}, fmt.Errorf("create JetStream bucket %s: %w", cfg.Bucket, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (j *jetStreamKV) kv() jetstream.KeyValue { return j.kvs[j.rr.pick(len(j.kvs))] }

func (j *jetStreamKV) Put(ctx context.Context, key string, val []byte) error {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	_, err := j.kv().Put(ctx, key, val)
	return err
}

func (j *jetStreamKV) Get(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	_, err := j.kv().Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return errNotFound
	}
	return err
}

func (j *jetStreamKV) Close() {
	for _, nc := range j.conns {
		nc.Close()
	}
}
