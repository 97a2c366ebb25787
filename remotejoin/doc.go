// Package remotejoin stitches remote relationships into a query's JSON
// answer: it finds the join keys the SQL left at each relationship's place
// in the answer, asks the relationship's Joiner for all of them at once
// (one call per relationship and nesting level, never one per row), and
// writes each answer where its key was, keeping every other byte and key
// order as Postgres wrote them. ApplyPartial lets a failing relationship
// fail only its own field: null where its keys were, its error returned.
package remotejoin
