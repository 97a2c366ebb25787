// Package delivery matches WAL changes to event triggers, queues them in
// Redis and POSTs them to webhooks with retries.
package delivery
