// Package chaos holds the fault tests that need several layers at once: a 3-node
// JetStream cluster whose servers are restarted, or cut off from each other, while a
// publisher, a durable pull consumer, an ordered consumer and a KV watcher keep working,
// and bitsets that show at the end what was acknowledged, stored and delivered. It has
// no code of its own.
package chaos
