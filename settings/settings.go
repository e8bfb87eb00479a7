// Package settings is the one table of the BATCHINFER_* environment
// variables: each is declared once below (name, kind, default, what reads
// it, one line of doc) and parsed by one parser (Env), so a value means the
// same to every reader (`BATCHINFER_POLL_CONCURRENCY=" 4"` is 4 to the
// poller and to the metrics alike). No other package of the module spells
// a BATCHINFER_ name in code (settings_test.go checks it): readers ask Env
// for a *Var, writers (local setting the function's environment, the CLI's
// `$VAR` flag defaults) use Var.Name.
//
// Adding a variable is one line in the table: a var declared with add (or
// alias, for an old name still read), whose default is written as a user
// would write the value. Then read it where it is used (Env.Text, List,
// Int, Float, Duration, Switch), and document it: README's Configuration
// table for the worker's, docs/observability.md for the metrics', beside
// its command for the others (readme_test.go checks every declared name is
// documented, and every documented name declared).
package settings

import "strings"

// Prefix starts every variable's name.
const Prefix = "BATCHINFER_"

// Kind is how a value is written.
type Kind string

// Kinds of value. Every value is trimmed of spaces first.
const (
	Text     Kind = "text"     // a string
	List     Kind = "list"     // comma-separated strings; empty items dropped
	Int      Kind = "int"      // a whole number
	Float    Kind = "number"   // a non-negative decimal number
	Duration Kind = "duration" // a Go duration: 2s, 15m, 720h
	Switch   Kind = "on/off"   // on, true, 1 / off, false, 0
)

// Reader names what reads a variable.
type Reader string

// Readers.
const (
	Worker  Reader = "worker"     // the function and the poller (LoadConfig)
	Poll    Reader = "poll"       // the poll loop (LoadPollConfig)
	Metrics Reader = "metrics"    // the EMF documents and cost (metrics.Options)
	API     Reader = "api"        // `batchinfer api` and the uploads function
	CLI     Reader = "cli"        // the operator commands' flag defaults
	Bench   Reader = "benchmarks" // benchmarks/
	Scripts Reader = "scripts"    // scripts/ (emulators, launchers)
)

// Var is one variable.
type Var struct {
	Name    string
	Kind    Kind
	Default string   // as a user would write it; "" = none
	ReadBy  []Reader // what reads it
	Doc     string
	// Old is a deprecated name read when Name is unset.
	Old *Var
	// Family marks a name that is a prefix: Name + a member (Member).
	Family bool
}

// All is every declared variable, in declaration order (deprecated names
// and families included).
var All []*Var

func add(name string, k Kind, def string, by Reader, doc string, more ...Reader) *Var {
	v := &Var{Name: Prefix + name, Kind: k, Default: def, ReadBy: append([]Reader{by}, more...), Doc: doc}
	All = append(All, v)
	return v
}

// alias declares old as a deprecated name of v.
func alias(v *Var, old string) *Var {
	o := &Var{Name: Prefix + old, Kind: v.Kind, ReadBy: v.ReadBy, Doc: "deprecated name of " + v.Name}
	v.Old = o
	All = append(All, o)
	return o
}

func family(name string, k Kind, by Reader, doc string) *Var {
	v := add(name, k, "", by, doc)
	v.Family = true
	return v
}

// Member is the variable of a family named by member (upper-cased):
// Price.Member("s3_get") is BATCHINFER_PRICE_S3_GET.
func (v *Var) Member(member string) *Var {
	m := *v
	m.Name, m.Family = v.Name+strings.ToUpper(member), false
	return &m
}

// Reads says whether r reads v.
func (v *Var) Reads(r Reader) bool {
	for _, x := range v.ReadBy {
		if x == r {
			return true
		}
	}
	return false
}

// Assign is NAME=value, an entry of a child process's environment.
func (v *Var) Assign(value string) string { return v.Name + "=" + value }
