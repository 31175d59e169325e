// Package bench is the engine of cmd/kvbench: it loads quorumkv, JetStream
// KV or plain NATS request-reply (echo) with a YCSB-style workload,
// measures throughput, latency and CPU time per operation, and renders
// saved results as the BENCHMARKS.md report. It also waits for a cluster
// to come up (Wait) and runs a plain JetStream server for the comparisons
// kvnode cannot set up (RunNATSD).
//
// A run (Run) has a load phase, which writes every record once, and a run
// phase, which issues the workload's reads and updates. The figures mean
// what they say only while these hold:
//
//   - Without Config.Rate the loop is closed: Config.Concurrency workers
//     each have exactly one operation in flight, so throughput is what the
//     system sustains at that concurrency, not an offered rate.
//   - With Config.Rate the run phase is an open loop: request i is due at
//     start + i/Rate whatever the answers before it, and its latency
//     counts from its due time, not from when it was sent, so a stall is
//     in the latency of every request due during it (no coordinated
//     omission). Concurrency bounds the requests in flight; a request
//     sent more than lateSlack after its due time is late, one that no
//     worker could send within the timeout of its due time is dropped and
//     counted as an error. Every request due is answered, failed or
//     dropped: OpenLoop.Scheduled is their sum.
//   - A phase ends when its duration or operation budget is spent or its
//     context ends; operations in flight then are waited for and counted,
//     and the phase's elapsed time includes them.
//   - Count and throughput are operations that got an answer. A read of a
//     missing key is an answer: timed and counted with the successes, and
//     also counted as not found. Failures are counted apart, grouped into
//     at most 16 kinds per operation and "other".
//   - Latencies are kept in a log-linear histogram: up to about 18
//     minutes, a percentile is at most 0.1% above the true value; the
//     maximum is exact.
//   - Keys are user0..user<Records-1>, as YCSB names them (zero-padded
//     after "user" to KeySize bytes when set), so a run with Load false
//     and the same KeySize reads what an earlier load wrote.
//   - A row run several times is reported by its median run by throughput
//     (a real run, never a mix of runs), with the spread of the runs.
//   - Every target is safe for concurrent use and applies the per-operation
//     timeout itself.
//
// The engine writes only to the writers it is given and never to stdout
// on its own. The JSON field names of Result are a file format: results
// written by one run are read back by the report. The goals in the report
// find their rows by the labels deploy/bench.sh gives its runs, so the two
// change together. A slow figure is never an error; a run fails only when
// it cannot set up (Run's error) or a phase had no successful operation
// (Result.Err).
package bench
