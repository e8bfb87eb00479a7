package metrics

import (
	"fmt"
	"strings"
	"testing"
)

// emfDoc builds a document from a directive and root members (JSON text).
func emfDoc(ts, directive, members string) []byte {
	return []byte(fmt.Sprintf(`{"_aws":{"Timestamp":%s,"CloudWatchMetrics":[%s]}%s}`, ts, directive, members))
}

func TestValidate(t *testing.T) {
	ok := `{"Namespace":"batchinfer","Dimensions":[["function"]],"Metrics":[{"Name":"JobsFailed","Unit":"Count"}]}`
	values := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]"
	}
	keys := func(n int) (set, members string) {
		var ks, ms []string
		for i := range n {
			ks = append(ks, fmt.Sprintf(`"d%d"`, i))
			ms = append(ms, fmt.Sprintf(`,"d%d":"v"`, i))
		}
		return strings.Join(ks, ","), strings.Join(ms, "")
	}
	set30, members30 := keys(30)
	set31, members31 := keys(31)
	var defs101, vals101 []string
	for i := range 101 {
		defs101 = append(defs101, fmt.Sprintf(`{"Name":"m%d"}`, i))
		vals101 = append(vals101, fmt.Sprintf(`,"m%d":1`, i))
	}
	cases := []struct {
		name   string
		doc    []byte
		err    string // "" when valid
		schema bool   // the spec's schema rejects it too
	}{
		{"a number", emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":2`), "", false},
		{"100 values", emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":`+values(100)), "", false},
		{"30 dimensions", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[`+set30+`]],"Metrics":[{"Name":"x"}]}`, members30+`,"x":1`), "", false},
		{"an empty dimension set", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"x","StorageResolution":1}]}`, `,"x":1`), "", false},
		{"101 values", emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":`+values(101)), "more than 100", false},
		{"31 dimensions", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[`+set31+`]],"Metrics":[{"Name":"x"}]}`, members31+`,"x":1`), "more than 30", true},
		{"101 metrics", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[]],"Metrics":[`+strings.Join(defs101, ",")+`]}`, strings.Join(vals101, "")), "more than 100", true},
		{"seconds, not milliseconds", emfDoc("1764547200", ok, `,"function":"f","JobsFailed":2`), "epoch milliseconds", false},
		{"a fractional timestamp", emfDoc("1764547200000.5", ok, `,"function":"f","JobsFailed":2`), "not an integer", true},
		{"no timestamp", []byte(`{"_aws":{"CloudWatchMetrics":[` + ok + `]},"function":"f","JobsFailed":1}`), "Timestamp", true},
		{"no _aws", []byte(`{"function":"f","JobsFailed":1}`), "_aws", true},
		{"no directives", emfDoc("1764547200000", "", `,"function":"f"`), "non-empty", false},
		{"a dimension missing", emfDoc("1764547200000", ok, `,"JobsFailed":2`), `dimension "function"`, false},
		{"a numeric dimension", emfDoc("1764547200000", ok, `,"function":3,"JobsFailed":2`), `dimension "function"`, false},
		{"a metric missing", emfDoc("1764547200000", ok, `,"function":"f"`), "no member", false},
		{"a string metric", emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":"2"`), "neither a number", false},
		{"a string in the values", emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":[1,"2"]`), "not a number", false},
		{"an unknown unit", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"x","Unit":"Jobs"}]}`, `,"x":1`), "not a CloudWatch unit", true},
		{"an empty namespace", emfDoc("1764547200000", `{"Namespace":"","Dimensions":[[]],"Metrics":[{"Name":"x"}]}`, `,"x":1`), "Namespace", true},
		{"no dimension sets", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"x"}]}`, `,"x":1`), "Dimensions", true},
		{"an extra directive member", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"x"}],"Extra":1}`, `,"x":1`), "does not define", true},
		{"a metric twice", emfDoc("1764547200000", `{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"x"},{"Name":"x"}]}`, `,"x":1`), "twice", false},
		{"text after the object", append(emfDoc("1764547200000", ok, `,"function":"f","JobsFailed":2`), " tail"...), "after the JSON object", false},
		{"not JSON", []byte(`START RequestId: 1`), "not a JSON object", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.doc)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("valid document refused: %v", err)
			case c.err != "" && err == nil:
				t.Fatalf("invalid document accepted (want an error with %q)", c.err)
			case c.err != "" && !strings.Contains(err.Error(), c.err):
				t.Fatalf("error %q does not say %q", err, c.err)
			}
			if c.err == "" || c.schema {
				// The schema and Validate agree where the schema can say it.
				if serr := schemaCheck(t, c.doc); (serr == nil) != (c.err == "") {
					t.Fatalf("schema says %v, Validate says %v", serr, err)
				}
			}
		})
	}
}
