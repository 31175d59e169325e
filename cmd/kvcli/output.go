package main

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// format is an output format, as -o names it.
type format string

const (
	// formatTable is for people: aligned columns and sentences.
	formatTable format = "table"
	// formatJSON is for programs: one JSON object, or one per line where a
	// command reports node by node or as it goes, from kvcli's own view
	// structs, so that field names are fixed by kvcli and numbers are
	// numbers (not protojson's strings).
	formatJSON format = "json"
	// formatValue is the one thing a script wants of a command, bare: a
	// value's bytes, a context, names one a line, a count.
	formatValue format = "value"
)

// writeLine prints v as one line of JSON.
func writeLine(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// writeValue prints v and a newline: a -o value answer.
func writeValue(w io.Writer, v any) error {
	_, err := fmt.Fprintln(w, v)
	return err
}

// textOf is data as a string when it is valid UTF-8, else nil.
func textOf(data []byte) *string {
	if !utf8.Valid(data) {
		return nil
	}
	s := string(data)
	return &s
}
