// Package sim runs whole quorumkv clusters inside one test process, on the
// in-memory transport (transport.MemNet) and Pebble's in-memory,
// crash-cloneable filesystem, under a seeded schedule of faults: nodes
// crashed (their filesystem replaced by its crash clone, so that writes not
// yet synced are lost as a power cut would lose them) and restarted, links
// cut and healed, messages dropped, duplicated and delayed; in about two
// runs of five a membership change is under way meanwhile (a node joins,
// or one is decommissioned). A checker then heals everything and requires
// every acknowledged write to read back.
// Beside those writes, clients make strict-quorum reads and writes of a few
// keys (strict.go), and the history they record must be linearizable, each
// key a register (internal/linearize).
//
// What the seed fixes: the cluster's size, the workloads (keys, values,
// coordinators, quorums) and the fault schedule (what happens after which
// operation). What it does not: goroutine scheduling, the actor runtime's
// mailboxes, timers and the transport's delivery order, so a failing seed
// reproduces the same scenario, not the same interleaving; run it a few
// times (`make simulate SEEDS=... SEED=n`).
//
// Rules: a run is bounded in operations and in time and cleans up after
// itself; nothing leaves the process.
package sim
