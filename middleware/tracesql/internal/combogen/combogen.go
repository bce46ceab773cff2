// Package combogen generates tracesql's combination types: for each wrapper
// (connection, statement, rows, connector) one struct type per set of
// optional driver interfaces, so that a wrapper implements an optional
// interface exactly when the value it wraps does. It also generates the
// test fakes: one type per set of optional interfaces a driver value can
// have.
//
// The tables below are the only place that lists the optional interfaces;
// run `go generate` in middleware/tracesql after changing them. A test in
// tracesql fails when the generated files are stale.
package combogen

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"
)

// A Feature is one optional interface (or a group of methods) a wrapper may
// expose.
type Feature struct {
	// Name is the Go name of the bit constant's suffix, e.g. "Pinger".
	Name string
	// Embed is the interface type embedded in a combination type to expose
	// the feature, e.g. "driver.Pinger". It must declare only the
	// feature's own methods, so that embedding it next to the core
	// interface does not make any selector ambiguous, and its name must
	// differ from its methods' names, or the embedded field would hide
	// the method it is there to promote.
	Embed string
	// Detect lists the interfaces of the wrapped value that turn the
	// feature on (any of them); empty means Embed itself.
	Detect []string
	// Implies names features that are always on when this one is (the
	// combinations without them are never built).
	Implies []string
}

// A Family is a set of combination types over one wrapper.
type Family struct {
	// Prefix names the generated identifiers: <Prefix>Feature (the bit
	// set type), <prefix>Has<Feature> (its bits), <Prefix>Combo<hex> (the struct types),
	// compose<Prefix> and <prefix>FeaturesOf.
	Prefix string
	// Impl is the wrapper's type; a combination holds it by value in a
	// field named w (value mode) or by pointer (pointer mode).
	Impl string
	// Pointer selects pointer mode: the composer takes *Impl, and the
	// combination types are anonymous structs of embedded interfaces
	// (used for test fakes).
	Pointer bool
	// Core is the interface every combination embeds (the wrapper's
	// mandatory methods).
	Core string
	// Result is the composer's result type, e.g. "driver.Conn".
	Result string
	// Detected is the type of the wrapped value that FeaturesOf inspects
	// ("" for no detection function).
	Detected string
	Features []Feature
}

// Files returns the production and test families.
func Files() (prod, test []Family) {
	prod = []Family{
		{
			Prefix: "conn", Impl: "conn", Core: "connCore", Result: "driver.Conn", Detected: "driver.Conn",
			Features: []Feature{
				{Name: "Pinger", Embed: "driver.Pinger"},
				{Name: "Execer", Embed: "driver.Execer", Implies: []string{"ExecerContext"}},
				{Name: "ExecerContext", Embed: "driver.ExecerContext", Detect: []string{"driver.ExecerContext", "driver.Execer"}},
				{Name: "Queryer", Embed: "driver.Queryer", Implies: []string{"QueryerContext"}},
				{Name: "QueryerContext", Embed: "driver.QueryerContext", Detect: []string{"driver.QueryerContext", "driver.Queryer"}},
				{Name: "SessionResetter", Embed: "driver.SessionResetter"},
				{Name: "Validator", Embed: "driver.Validator"},
				{Name: "NamedValueChecker", Embed: "driver.NamedValueChecker"},
			},
		},
		{
			Prefix: "stmt", Impl: "stmt", Core: "stmtCore", Result: "driver.Stmt", Detected: "driver.Stmt",
			Features: []Feature{
				{Name: "NamedValueChecker", Embed: "driver.NamedValueChecker"},
				// An embedded driver.ColumnConverter field would be named
				// like its method and hide it: embed tracesql's copy.
				{Name: "ColumnConverter", Embed: "columnConverter", Detect: []string{"driver.ColumnConverter"}},
			},
		},
		{
			Prefix: "rows", Impl: "rows", Core: "rowsCore", Result: "driver.Rows", Detected: "driver.Rows",
			Features: rowsFeatures(),
		},
		{
			Prefix: "connector", Impl: "connector", Core: "connectorCore", Result: "driver.Connector", Detected: "driver.Connector",
			Features: []Feature{{Name: "Closer", Embed: "io.Closer"}},
		},
	}
	test = []Family{
		{
			Prefix: "fakeConn", Impl: "fakeConn", Pointer: true, Core: "driver.Conn", Result: "driver.Conn",
			Features: []Feature{
				{Name: "Pinger", Embed: "driver.Pinger"},
				{Name: "Execer", Embed: "driver.Execer"},
				{Name: "ExecerContext", Embed: "driver.ExecerContext"},
				{Name: "Queryer", Embed: "driver.Queryer"},
				{Name: "QueryerContext", Embed: "driver.QueryerContext"},
				{Name: "ConnPrepareContext", Embed: "driver.ConnPrepareContext"},
				{Name: "ConnBeginTx", Embed: "driver.ConnBeginTx"},
				{Name: "SessionResetter", Embed: "driver.SessionResetter"},
				{Name: "Validator", Embed: "driver.Validator"},
				{Name: "NamedValueChecker", Embed: "driver.NamedValueChecker"},
			},
		},
		{
			Prefix: "fakeStmt", Impl: "fakeStmt", Pointer: true, Core: "driver.Stmt", Result: "driver.Stmt",
			Features: []Feature{
				{Name: "StmtExecContext", Embed: "driver.StmtExecContext"},
				{Name: "StmtQueryContext", Embed: "driver.StmtQueryContext"},
				{Name: "NamedValueChecker", Embed: "driver.NamedValueChecker"},
				{Name: "ColumnConverter", Embed: "columnConverter"},
			},
		},
		{
			Prefix: "fakeRows", Impl: "fakeRows", Pointer: true, Core: "driver.Rows", Result: "driver.Rows",
			Features: rowsFeatures(),
		},
		{
			Prefix: "fakeConnector", Impl: "fakeConnector", Pointer: true, Core: "driver.Connector", Result: "driver.Connector",
			Features: []Feature{{Name: "Closer", Embed: "io.Closer"}},
		},
	}
	return prod, test
}

// rowsFeatures are the optional Rows interfaces. The driver's interfaces
// embed driver.Rows, so combinations embed narrow interfaces declared in
// tracesql (rows.go) that hold only the extra methods.
func rowsFeatures() []Feature {
	return []Feature{
		{Name: "NextResultSet", Embed: "rowsNextResultSet", Detect: []string{"driver.RowsNextResultSet"}},
		{Name: "ColumnTypeScanType", Embed: "rowsColumnTypeScanType", Detect: []string{"driver.RowsColumnTypeScanType"}},
		{Name: "ColumnTypeDatabaseTypeName", Embed: "rowsColumnTypeDatabaseTypeName", Detect: []string{"driver.RowsColumnTypeDatabaseTypeName"}},
		{Name: "ColumnTypeLength", Embed: "rowsColumnTypeLength", Detect: []string{"driver.RowsColumnTypeLength"}},
		{Name: "ColumnTypeNullable", Embed: "rowsColumnTypeNullable", Detect: []string{"driver.RowsColumnTypeNullable"}},
		{Name: "ColumnTypePrecisionScale", Embed: "rowsColumnTypePrecisionScale", Detect: []string{"driver.RowsColumnTypePrecisionScale"}},
	}
}

// Masks returns the valid feature sets of f in increasing order: every set
// in which each feature's implied features are present.
func (f Family) Masks() []uint {
	bit := map[string]uint{}
	for i, ft := range f.Features {
		bit[ft.Name] = 1 << i
	}
	var out []uint
	for m := uint(0); m < 1<<len(f.Features); m++ {
		ok := true
		for i, ft := range f.Features {
			if m&(1<<i) == 0 {
				continue
			}
			for _, imp := range ft.Implies {
				b, known := bit[imp]
				if !known {
					panic("combogen: " + f.Prefix + "." + ft.Name + " implies unknown " + imp)
				}
				if m&b == 0 {
					ok = false
				}
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// Generate returns the gofmt'ed source of a file in package pkg holding
// families.
func Generate(pkg string, families []Family) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/combogen (go generate); DO NOT EDIT.\n\n"+
		"//lint:file-ignore SA1019 the combinations include the deprecated driver interfaces on purpose.\n\npackage %s\n\n", pkg)
	imports := map[string]bool{"database/sql/driver": true}
	for _, f := range families {
		for _, ft := range f.Features {
			if strings.HasPrefix(ft.Embed, "io.") {
				imports["io"] = true
			}
		}
	}
	b.WriteString("import (\n")
	for _, imp := range []string{"database/sql/driver", "io"} {
		if imports[imp] {
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
	}
	b.WriteString(")\n")
	for _, f := range families {
		genFamily(&b, f)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return b.Bytes(), fmt.Errorf("combogen: formatting: %w", err)
	}
	return src, nil
}

func embedField(embed string) string {
	if i := strings.LastIndexByte(embed, '.'); i >= 0 {
		return embed[i+1:]
	}
	return embed
}

func genFamily(b *bytes.Buffer, f Family) {
	ft := f.Prefix + "Feature"
	masks := f.Masks()
	fmt.Fprintf(b, "\n// %s is a set of optional interfaces of a %s (%d valid combinations).\ntype %s uint\n\n", ft, f.Result, len(masks), ft)
	b.WriteString("const (\n")
	for i, x := range f.Features {
		if i == 0 {
			fmt.Fprintf(b, "\t%sHas%s %s = 1 << iota // %s\n", f.Prefix, x.Name, ft, x.Embed)
		} else {
			fmt.Fprintf(b, "\t%sHas%s // %s\n", f.Prefix, x.Name, x.Embed)
		}
	}
	b.WriteString(")\n\n")

	// Names of the features, for test messages.
	fmt.Fprintf(b, "// %sFeatureNames names the bits of %s in order.\nvar %sFeatureNames = [...]string{", f.Prefix, ft, f.Prefix)
	for i, x := range f.Features {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%q", x.Name)
	}
	b.WriteString("}\n\n")

	fmt.Fprintf(b, "// %sMasks lists the valid feature sets, in increasing order.\nvar %sMasks = [...]%s{", f.Prefix, f.Prefix, ft)
	for i, m := range masks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%#x", m)
	}
	b.WriteString("}\n\n")

	if f.Detected != "" {
		fmt.Fprintf(b, "// %sFeaturesOf returns the features a wrapper of x exposes.\nfunc %sFeaturesOf(x %s) %s {\n\tvar m %s\n", f.Prefix, f.Prefix, f.Detected, ft, ft)
		for _, x := range f.Features {
			det := x.Detect
			if len(det) == 0 {
				det = []string{x.Embed}
			}
			var conds []string
			for i, d := range det {
				fmt.Fprintf(b, "\t_, ok%s%d := x.(%s)\n", x.Name, i, d)
				conds = append(conds, fmt.Sprintf("ok%s%d", x.Name, i))
			}
			fmt.Fprintf(b, "\tif %s {\n\t\tm |= %sHas%s\n\t}\n", strings.Join(conds, " || "), f.Prefix, x.Name)
		}
		b.WriteString("\treturn m\n}\n\n")
	}

	name := "compose" + strings.ToUpper(f.Prefix[:1]) + f.Prefix[1:]
	if f.Pointer {
		fmt.Fprintf(b, "// %s returns x exposing the optional interfaces in m, or nil if m is\n// not a valid combination.\nfunc %s(x *%s, m %s) %s {\n\tswitch m {\n", name, name, f.Impl, ft, f.Result)
		for _, m := range masks {
			fields := []string{f.Core}
			vals := []string{"x"}
			for i, x := range f.Features {
				if m&(1<<i) != 0 {
					fields = append(fields, x.Embed)
					vals = append(vals, "x")
				}
			}
			fmt.Fprintf(b, "\tcase %#x:\n\t\treturn struct{ %s }{%s}\n", m, strings.Join(fields, "; "), strings.Join(vals, ", "))
		}
		b.WriteString("\t}\n\treturn nil\n}\n")
		return
	}

	for _, m := range masks {
		fields := []string{"w " + f.Impl, f.Core}
		for i, x := range f.Features {
			if m&(1<<i) != 0 {
				fields = append(fields, x.Embed)
			}
		}
		fmt.Fprintf(b, "type %sCombo%x struct{ %s }\n", f.Prefix, m, strings.Join(fields, "; "))
	}
	fmt.Fprintf(b, "// %s returns a copy of w that exposes the optional interfaces in m\n// (one allocation), or nil if m is not a valid combination.\nfunc %s(w %s, m %s) %s {\n\tswitch m {\n", name, name, f.Impl, ft, f.Result)
	for _, m := range masks {
		lhs := []string{"c." + embedField(f.Core)}
		rhs := []string{"&c.w"}
		for i, x := range f.Features {
			if m&(1<<i) != 0 {
				lhs = append(lhs, "c."+embedField(x.Embed))
				rhs = append(rhs, "&c.w")
			}
		}
		fmt.Fprintf(b, "\tcase %#x:\n\t\tc := &%sCombo%x{w: w}\n\t\t%s = %s\n\t\treturn c\n", m, f.Prefix, m, strings.Join(lhs, ", "), strings.Join(rhs, ", "))
	}
	b.WriteString("\t}\n\treturn nil\n}\n")
}
