package settings

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env reads variables through getenv (os.Getenv in production, a map in
// tests). Each read trims the value, falls back to the variable's
// deprecated name and then to its default, and parses it by its kind. The
// first error is kept (Err) and names the variable; reads after it return
// defaults, so a loader reads everything and checks Err once.
type Env struct {
	getenv func(string) string
	err    error
}

// From reads through getenv; nil is os.Getenv.
func From(getenv func(string) string) *Env {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Env{getenv: getenv}
}

// Err is the first error of the reads so far.
func (e *Env) Err() error { return e.err }

// Fail records err about v (unless an error came first) and returns the
// error kept: for checks beyond a value's kind.
func (e *Env) Fail(v *Var, format string, args ...any) error {
	if e.err == nil {
		e.err = fmt.Errorf("%s: %s", v.Name, fmt.Sprintf(format, args...))
	}
	return e.err
}

// Raw is v's trimmed value as set ("" when neither v nor its deprecated
// name is set): no default.
func (e *Env) Raw(v *Var) string {
	s, _ := e.raw(v)
	return s
}

// raw is v's trimmed value and the variable it came from: v, or its
// deprecated name when only that is set.
func (e *Env) raw(v *Var) (string, *Var) {
	if s := strings.TrimSpace(e.getenv(v.Name)); s != "" || v.Old == nil {
		return s, v
	}
	return strings.TrimSpace(e.getenv(v.Old.Name)), v.Old
}

// Set says whether v (or its deprecated name) has a value.
func (e *Env) Set(v *Var) bool { return e.Raw(v) != "" }

func (e *Env) value(v *Var) string {
	if s := e.Raw(v); s != "" {
		return s
	}
	return v.Default
}

// Text is v's value, else its default.
func (e *Env) Text(v *Var) string { return e.value(v) }

// List is v's comma-separated items, trimmed, empty ones dropped.
func (e *Env) List(v *Var) []string { return SplitList(e.value(v)) }

// SplitList splits a comma-separated list as List does.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Int is v's whole number, at least min; 0 when unset without a default.
func (e *Env) Int(v *Var, min int64) int64 {
	return read(e, v, fmt.Sprintf("a whole number ≥ %d", min), func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= min
	})
}

// Float is v's non-negative finite number; 0 when unset without a default.
func (e *Env) Float(v *Var) float64 {
	return read(e, v, "a non-negative number", func(s string) (float64, bool) {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f)
	})
}

// Duration is v's duration (not negative); 0 when unset without a default.
func (e *Env) Duration(v *Var) time.Duration {
	return read(e, v, "a duration such as 2s or 720h", func(s string) (time.Duration, bool) {
		d, err := time.ParseDuration(s)
		return d, err == nil && d >= 0
	})
}

// Switch is v's on/off value.
func (e *Env) Switch(v *Var) bool {
	return read(e, v, "on or off", func(s string) (bool, bool) {
		switch strings.ToLower(s) {
		case "on", "true", "1":
			return true, true
		case "off", "false", "0":
			return false, true
		}
		return false, false
	})
}

// read parses v's value, else its default (which the table's test keeps
// valid); a value that does not parse is an error naming v, and the
// default stands in for it.
func read[T any](e *Env, v *Var, want string, parse func(string) (T, bool)) T {
	var def T
	if v.Default != "" {
		def, _ = parse(v.Default)
	}
	s, from := e.raw(v)
	if s == "" || e.err != nil {
		return def
	}
	x, ok := parse(s)
	if !ok {
		e.Fail(from, "%q is not %s", s, want)
		return def
	}
	return x
}

// Current is v's value in this process's environment, else its default:
// what the CLI's flags default to ("$VAR").
func Current(v *Var) string { return From(nil).Text(v) }
