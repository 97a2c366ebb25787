// Package replication reads committed changes from a logical replication slot
// (pgoutput) and acknowledges the slot only past durably queued events.
package replication
