package integration

import (
	"testing"
)

func TestAggregate(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE sale (id serial PRIMARY KEY, region text, amount int, price numeric, qty bigint, rate float8, sold_on date);
INSERT INTO sale (region, amount, price, qty, rate, sold_on) VALUES
  ('north', 10, 1.50, 100, 0.5, '2024-01-01'),
  ('north', 20, 2.50, 200, 1.5, '2024-03-01'),
  ('south', 30, NULL, 300, NULL, '2024-02-01'),
  (NULL,    40, 4.00, NULL, 2.5, NULL);
CREATE TABLE region (name text PRIMARY KEY);
INSERT INTO region VALUES ('north'), ('south'), ('west');`,
		op("pg_track_table", map[string]any{"table": "sale"}),
		op("pg_track_table", map[string]any{"table": "region"}),
		op("pg_create_array_relationship", map[string]any{"table": "region", "name": "sales",
			"using": map[string]any{"manual_configuration": map[string]any{"remote_table": "sale", "column_mapping": map[string]any{"name": "region"}}}}))

	t.Run("count", func(t *testing.T) {
		wantData(t, s, `{ sale_aggregate { aggregate {
				count
				regions: count(columns: [region])
				distinct_regions: count(columns: [region], distinct: true)
				distinct_pairs: count(columns: [region, amount], distinct: true)
				all: count(distinct: false)
			} } }`, nil,
			`{"sale_aggregate":{"aggregate":{"count":4,"regions":3,"distinct_regions":2,"distinct_pairs":4,"all":4}}}`)
	})
	t.Run("sum avg max min", func(t *testing.T) {
		r := gql(t, s, `{ sale_aggregate { aggregate {
				sum { amount price qty rate }
				avg { amount price rate }
				max { amount price region sold_on qty }
				min { amount price region sold_on qty }
			} } }`, nil)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"data":{"sale_aggregate":{"aggregate":{
			"sum":{"amount":100,"price":8.00,"qty":600,"rate":4.5},
			"avg":{"amount":25,"price":2.6666666666666667,"rate":1.5},
			"max":{"amount":40,"price":4.00,"region":"south","sold_on":"2024-03-01","qty":"300"},
			"min":{"amount":10,"price":1.50,"region":"north","sold_on":"2024-01-01","qty":"100"}}}}}`)
	})
	t.Run("statistics", func(t *testing.T) {
		// amount: 10 20 30 40 -> mean 25, population variance 125, sample variance 166.67.
		r := gql(t, s, `{ sale_aggregate { aggregate {
				var_pop { amount } var_samp { amount } variance { amount }
				stddev_pop { rate } stddev_samp { rate } stddev { rate }
			} } }`, nil)
		wantStatus(t, r, 200)
		agg := field(t, r.Body, "data", "sale_aggregate", "aggregate").(map[string]any)
		approx := func(name, col string, want float64) {
			got, ok := agg[name].(map[string]any)[col].(float64)
			if !ok || got < want-1e-9 || got > want+1e-9 {
				t.Errorf("%s(%s) = %v, want %v", name, col, agg[name], want)
			}
		}
		approx("var_pop", "amount", 125)
		approx("var_samp", "amount", 500.0/3)
		approx("variance", "amount", 500.0/3)
		// rate: 0.5 1.5 2.5 (one null) -> population variance 2/3, sample variance 1.
		approx("stddev_pop", "rate", 0.816496580927726)
		approx("stddev_samp", "rate", 1)
		approx("stddev", "rate", 1)
	})
	t.Run("arguments, nodes and typename", func(t *testing.T) {
		wantData(t, s, `{ sale_aggregate(where: {region: {_eq: "north"}}, order_by: {amount: desc}, limit: 1) {
				__typename
				aggregate { __typename count sum { __typename amount } }
				nodes { id amount }
			} }`, nil,
			`{"sale_aggregate":{"__typename":"sale_aggregate","aggregate":{"__typename":"sale_aggregate_fields","count":1,"sum":{"__typename":"sale_sum_fields","amount":20}},"nodes":[{"id":2,"amount":20}]}}`)
	})
	t.Run("empty set", func(t *testing.T) {
		wantData(t, s, `{ sale_aggregate(where: {amount: {_gt: 1000}}) { aggregate { count sum { amount } max { region } } nodes { id } } }`, nil,
			`{"sale_aggregate":{"aggregate":{"count":0,"sum":{"amount":null},"max":{"region":null}},"nodes":[]}}`)
	})
	t.Run("relationship aggregate", func(t *testing.T) {
		wantData(t, s, `{ region(order_by: {name: asc}) { name sales_aggregate(order_by: {id: asc}) { aggregate { count avg { amount } } nodes { amount } } } }`, nil,
			`{"region":[
				{"name":"north","sales_aggregate":{"aggregate":{"count":2,"avg":{"amount":15.0000000000000000}},"nodes":[{"amount":10}, {"amount":20}]}},
				{"name":"south","sales_aggregate":{"aggregate":{"count":1,"avg":{"amount":30.0000000000000000}},"nodes":[{"amount":30}]}},
				{"name":"west","sales_aggregate":{"aggregate":{"count":0,"avg":{"amount":null}},"nodes":[]}}]}`)
	})
	t.Run("aggregate of a non-numeric column is not offered", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ sale_aggregate { aggregate { sum { region } } } }`, nil), "validation-failed", "", "region")
	})
}
