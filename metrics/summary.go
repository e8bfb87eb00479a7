package metrics

import (
	"math"
	"sort"
)

// Summary adds up a run's documents: what `batchinfer stats` prints and
// what the end-to-end tests compare with the items and DLQ entries a run
// produced.
type Summary struct {
	Documents   int
	Invocations int                           // function documents with InvocationMs (one per invocation or batch)
	Totals      map[string]float64            // function scope: each metric's sum
	Samples     map[string][]float64          // function scope: each metric's values
	Errors      map[string]float64            // Errors (jobs FAILED) per error_code
	Retries     map[string]float64            // Retries (transient failures) per error_code
	Models      map[string]map[string]float64 // model → metric → sum
}

// Summarize adds up documents of one namespace ("" for any).
func Summarize(docs []Doc, namespace string) Summary {
	s := Summary{
		Totals: map[string]float64{}, Samples: map[string][]float64{},
		Errors: map[string]float64{}, Retries: map[string]float64{}, Models: map[string]map[string]float64{},
	}
	for _, d := range docs {
		if namespace != "" && d.Namespace != namespace {
			continue
		}
		s.Documents++
		switch d.Scope() {
		case ScopeError:
			if _, ok := d.Values["Errors"]; ok {
				s.Errors[d.Dimensions[DimErrorCode]] += d.Sum("Errors")
			}
			if _, ok := d.Values["Retries"]; ok {
				s.Retries[d.Dimensions[DimErrorCode]] += d.Sum("Retries")
			}
		case ScopeModel:
			m := s.Models[d.Dimensions[DimModel]]
			if m == nil {
				m = map[string]float64{}
				s.Models[d.Dimensions[DimModel]] = m
			}
			for name := range d.Values {
				m[name] += d.Sum(name)
			}
		default:
			if _, ok := d.Values["InvocationMs"]; ok {
				s.Invocations++
			}
			for name, vs := range d.Values {
				s.Totals[name] += d.Sum(name)
				s.Samples[name] = append(s.Samples[name], vs...)
			}
		}
	}
	return s
}

// Jobs is every job counted, whatever its outcome.
func (s Summary) Jobs() float64 {
	return s.Totals["JobsSucceeded"] + s.Totals["JobsFailed"] + s.Totals["JobsRetried"] + s.Totals["JobsSkipped"]
}

// Inferences is the rows run through a model (the sum of BatchSize).
func (s Summary) Inferences() float64 { return s.Totals["BatchSize"] }

// CostPer1kInferences is the run's estimated cost over its inferences
// (not the mean of per-invocation figures, which would weigh a small
// invocation like a big one); NaN without inferences.
func (s Summary) CostPer1kInferences() float64 {
	if s.Inferences() == 0 {
		return math.NaN()
	}
	return s.Totals["EstimatedCostUSD"] / s.Inferences() * 1000
}

// Percentile is the p-th percentile (0..100) of a function-scope metric's
// values, by nearest rank; NaN without values.
func (s Summary) Percentile(name string, p float64) float64 {
	return Percentile(s.Samples[name], p)
}

// Mean is the mean of a function-scope metric's values; NaN without values.
func (s Summary) Mean(name string) float64 {
	vs := s.Samples[name]
	if len(vs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	return sum / float64(len(vs))
}

// Percentile is the nearest-rank p-th percentile (0..100) of values, as
// CloudWatch's pNN statistics approximate it; NaN for no values.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	vs := append([]float64(nil), values...)
	sort.Float64s(vs)
	rank := int(math.Ceil(p / 100 * float64(len(vs))))
	rank = max(1, min(rank, len(vs)))
	return vs[rank-1]
}
