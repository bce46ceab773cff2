package tracing

// attrsInline is how many attributes an Attrs holds without allocating.
// Server middleware sets up to eight at a time.
const attrsInline = 8

// Attrs is a list of attributes handed from the facade to a backend.
//
// It is passed by value, with its first attributes held inline, for the same
// reason log/slog's Record is: the attributes a caller passes to Start,
// SetAttrs or AddEvent are copied into it, so the caller's variadic slice
// never escapes to the heap and the facade allocates nothing. Attributes past
// the inline ones are copied to the heap.
//
// Backends read it with Len and At; it never holds an attribute with an
// empty key. Values of slice kinds still point at the caller's slices: a
// backend that keeps them must Clone them.
type Attrs struct {
	n     int // how many of front are used
	front [attrsInline]Attr
	back  []Attr
}

// Len returns the number of attributes.
func (a *Attrs) Len() int { return a.n + len(a.back) }

// At returns the i-th attribute; it panics if i is out of range, as slice
// indexing does.
func (a *Attrs) At(i int) Attr {
	if i < a.n {
		return a.front[i]
	}
	return a.back[i-a.n]
}

// Append adds attrs, dropping those with an empty key.
func (a *Attrs) Append(attrs ...Attr) {
	n := a.n
	if len(a.back) == 0 && n+len(attrs) <= attrsInline {
		// The common case, kept tight: it runs for every span.
		for i := range attrs {
			if attrs[i].Key != "" {
				a.front[n] = attrs[i]
				n++
			}
		}
		a.n = n
		return
	}
	for i := range attrs {
		if attrs[i].Key == "" {
			continue
		}
		if a.n < attrsInline && len(a.back) == 0 {
			a.front[a.n] = attrs[i]
			a.n++
		} else {
			a.back = append(a.back, attrs[i])
		}
	}
}

// AppendTo appends the attributes to dst and returns it.
func (a *Attrs) AppendTo(dst []Attr) []Attr {
	dst = append(dst, a.front[:a.n]...)
	return append(dst, a.back...)
}

// Get returns the value of the last attribute with key, if any.
func (a *Attrs) Get(key string) (Value, bool) {
	for i := a.Len() - 1; i >= 0; i-- {
		if x := a.At(i); x.Key == key {
			return x.Value, true
		}
	}
	return Value{}, false
}

// AttrsOf returns an Attrs holding attrs (for backends and tests).
func AttrsOf(attrs ...Attr) Attrs {
	var a Attrs
	a.Append(attrs...)
	return a
}
