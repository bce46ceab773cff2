package tracegrpc

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"
)

// MetadataCarrier adapts gRPC metadata to tracing.Carrier, for code that
// injects or extracts trace context itself (the handlers and interceptors
// do it for you). Keys are stored in lower case, as gRPC requires, and
// found in any case.
type MetadataCarrier metadata.MD

// Get returns the first value of key.
func (m MetadataCarrier) Get(key string) string {
	if v := m.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key (tracing.ValuesGetter).
func (m MetadataCarrier) Values(key string) []string {
	if v, ok := m[strings.ToLower(key)]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// Set replaces the values of key (stored in lower case).
func (m MetadataCarrier) Set(key, value string) {
	lk := strings.ToLower(key)
	for k := range m {
		if k != lk && strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[lk] = []string{value}
}

// Keys returns the keys present.
func (m MetadataCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// incoming reads a server call's metadata from its context, one key at a
// time: metadata.ValueFromIncomingContext copies only the values asked
// for, where FromIncomingContext would copy the whole metadata. The last
// key found and the keys not found are remembered: propagators read some
// keys more than once, and a key that is absent costs gRPC a pass over the
// whole metadata. Propagators that walk every key (dd-trace-go's, the
// uberctx-* and ot-baggage-* prefixes) make it copy the metadata once, and
// read that copy from then on.
type incoming struct {
	ctx    context.Context
	hitKey string
	hitVal []string
	misses [6]string
	nmiss  int
	md     metadata.MD // the copy, once Keys was called
	keys   []string
}

func (c *incoming) Get(key string) string {
	if v := c.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *incoming) Values(key string) []string {
	key = strings.ToLower(key)
	if c.md != nil {
		return c.md[key]
	}
	if key == c.hitKey && c.hitVal != nil {
		return c.hitVal
	}
	for _, m := range c.misses[:c.nmiss] {
		if m == key {
			return nil
		}
	}
	v := metadata.ValueFromIncomingContext(c.ctx, key)
	switch {
	case len(v) > 0:
		c.hitKey, c.hitVal = key, v
	case c.nmiss < len(c.misses):
		c.misses[c.nmiss] = key
		c.nmiss++
	}
	return v
}

func (c *incoming) Set(string, string) {}

func (c *incoming) Keys() []string {
	if c.md == nil {
		c.md, _ = metadata.FromIncomingContext(c.ctx)
		if c.md == nil {
			c.md = metadata.MD{}
		}
		c.keys = MetadataCarrier(c.md).Keys()
	}
	return c.keys
}

// outgoing collects what a propagator injects, to be appended to the
// call's outgoing metadata in one metadata.AppendToOutgoingContext.
type outgoing struct {
	kv   [12]string // key, value, key, value, …; most propagators write at most six keys
	n    int
	more []string
}

func (o *outgoing) pairs() []string {
	if o.more != nil {
		return o.more
	}
	return o.kv[:o.n]
}

func (o *outgoing) Get(key string) string {
	key = strings.ToLower(key)
	p := o.pairs()
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == key {
			return p[i+1]
		}
	}
	return ""
}

func (o *outgoing) Set(key, value string) {
	key = strings.ToLower(key)
	p := o.pairs()
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == key {
			p[i+1] = value
			return
		}
	}
	if o.more == nil && o.n+2 <= len(o.kv) {
		o.kv[o.n], o.kv[o.n+1] = key, value
		o.n += 2
		return
	}
	if o.more == nil {
		o.more = append(make([]string, 0, 2*len(o.kv)), o.kv[:o.n]...)
	}
	o.more = append(o.more, key, value)
}

func (o *outgoing) Keys() []string {
	p := o.pairs()
	keys := make([]string, 0, len(p)/2)
	for i := 0; i+1 < len(p); i += 2 {
		keys = append(keys, p[i])
	}
	return keys
}
