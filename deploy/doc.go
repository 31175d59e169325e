// Package deploy holds the files that run quorumkv outside a developer's
// shell: the container image (Dockerfile), a three-node compose file,
// Kubernetes manifests (k8s/), an example nats-server configuration and a
// Grafana dashboard. It has no code; its tests check that those files
// hold:
//
//   - every Kubernetes document decodes strictly into the k8s.io/api type
//     its kind names, probes hit /readyz and /livez on the declared port,
//     the PodDisruptionBudget and headless Service select the StatefulSet's
//     pods, and every KVNODE_* variable and flag is one kvnode knows;
//   - the compose file and the Dockerfile set only KVNODE_* variables
//     kvnode knows, and pass it no flags;
//   - the example NATS config loads in nats-server; its client user may
//     publish on kv.api.> only, its admin user on kv.api.> and kv.admin.>,
//     both subscribe on _INBOX.> only;
//   - every metric the dashboard queries is exported by a real node;
//   - the image builds, and the compose cluster starts, turns healthy and
//     serves a put and a get through kvcli inside a container, then stops
//     cleanly on SIGTERM (only where a Docker daemon answers).
package deploy
