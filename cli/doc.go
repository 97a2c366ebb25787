// Package cli is Graft's project CLI: Hasura's `hasura init`, `migrate`, `metadata`, `seed` and `deploy` commands over a Hasura config v3 project directory.
package cli
