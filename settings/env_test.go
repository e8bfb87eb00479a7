package settings

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) *Env { return From(func(k string) string { return m[k] }) }

// TestOneParserForEveryReader is the bug the table fixes: a value with
// spaces meant 4 to one reader and an error to another.
func TestOneParserForEveryReader(t *testing.T) {
	e := env(map[string]string{PollConcurrency.Name: " 4", InputBuckets.Name: " a, ,b ", MetricsOn.Name: " OFF ",
		RetryBase.Name: " 3s", APIRate.Name: "2.5 ", QueueURL.Name: " https://q "})
	if n := e.Int(PollConcurrency, 1); n != 4 {
		t.Errorf("POLL_CONCURRENCY \" 4\" = %d", n)
	}
	if l := e.List(InputBuckets); strings.Join(l, "|") != "a|b" {
		t.Errorf("INPUT_BUCKETS = %q", l)
	}
	if e.Switch(MetricsOn) || e.Duration(RetryBase) != 3*time.Second || e.Float(APIRate) != 2.5 || e.Text(QueueURL) != "https://q" {
		t.Error("a value with spaces around it was not read as written")
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultsAndDeprecatedNames(t *testing.T) {
	e := env(nil)
	if e.Int(MaxReceives, 1) != 5 || e.Duration(ResultTTL) != 720*time.Hour || e.Text(ResultsPrefix) != "results/" ||
		!e.Switch(MetricsOn) || e.List(Models) != nil || e.Float(ContainerVCPU) != 0 || e.Set(QueueURL) {
		t.Error("an unset variable does not read as its default")
	}
	old := env(map[string]string{FetchConcurrency.Name: "7"})
	if n := old.Int(AWSConcurrency, 0); n != 7 {
		t.Errorf("the deprecated %s is not read: %d", FetchConcurrency.Name, n)
	}
	both := env(map[string]string{FetchConcurrency.Name: "7", AWSConcurrency.Name: "9"})
	if n := both.Int(AWSConcurrency, 0); n != 9 {
		t.Errorf("the deprecated name wins over the new one: %d", n)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		v    *Var
		raw  string
		read func(*Env, *Var)
	}{
		{MaxReceives, "0", func(e *Env, v *Var) { e.Int(v, 1) }},
		{MaxBatch, "1.5", func(e *Env, v *Var) { e.Int(v, 0) }},
		{APIRate, "-1", func(e *Env, v *Var) { e.Float(v) }},
		{ContainerVCPU, "NaN", func(e *Env, v *Var) { e.Float(v) }},
		{RetryMax, "soon", func(e *Env, v *Var) { e.Duration(v) }},
		{DeadlineMargin, "-2s", func(e *Env, v *Var) { e.Duration(v) }},
		{MetricsOn, "maybe", func(e *Env, v *Var) { e.Switch(v) }},
	}
	for _, c := range cases {
		e := env(map[string]string{c.v.Name: c.raw})
		c.read(e, c.v)
		if err := e.Err(); err == nil || !strings.HasPrefix(err.Error(), c.v.Name+": ") || !strings.Contains(err.Error(), c.raw) {
			t.Errorf("%s=%q: error %v, want one naming the variable and the value", c.v.Name, c.raw, err)
		}
	}
	// The first error stays; later reads give their defaults.
	e := env(map[string]string{MaxReceives.Name: "x", RetryBase.Name: "y"})
	if e.Int(MaxReceives, 1) != 5 || e.Duration(RetryBase) != 10*time.Second || !strings.HasPrefix(e.Err().Error(), MaxReceives.Name) {
		t.Errorf("after an error: %v", e.Err())
	}
}

func TestFamilyMembers(t *testing.T) {
	v := Price.Member("s3_get")
	if v.Name != "BATCHINFER_PRICE_S3_GET" || v.Family || !Price.Family {
		t.Fatalf("member %+v", v)
	}
	if got, ok := Lookup("BATCHINFER_PRICE_S3_GET"); !ok || got != Price {
		t.Errorf("Lookup of a member = %v, %v", got, ok)
	}
	if v := env(map[string]string{"BATCHINFER_PRICE_S3_GET": "0.5"}).Float(v); v != 0.5 {
		t.Errorf("member value %v", v)
	}
}

func TestAnErrorNamesTheNameThatWasSet(t *testing.T) {
	e := env(map[string]string{FetchConcurrency.Name: "x"})
	e.Int(AWSConcurrency, 0)
	if err := e.Err(); err == nil || !strings.HasPrefix(err.Error(), FetchConcurrency.Name+": ") {
		t.Errorf("error %v, want one naming %s", err, FetchConcurrency.Name)
	}
}
