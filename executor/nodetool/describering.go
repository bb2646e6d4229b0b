package nodetool

import (
	"fmt"
	"strconv"
	"strings"
)

// RingDescription is the parsed output of `nodetool describering <keyspace>`.
type RingDescription struct {
	SchemaVersion string
	Ranges        []TokenRange
}

// TokenRange is one "TokenRange(...)" line: the range (Start, End] and its replicas.
type TokenRange struct {
	Start, End      string
	Endpoints       []string
	RPCEndpoints    []string
	EndpointDetails []EndpointDetails
}

// EndpointDetails is one "EndpointDetails(host:..., datacenter:..., rack:...)" entry. Port is
// set when nodetool printed one (4.0+ with -pp), else 0.
type EndpointDetails struct {
	Host       string
	Port       int
	Datacenter string
	Rack       string
}

// ParseDescribeRing parses the stdout of `nodetool describering <keyspace>` (same layout from 2.x
// to 5.0): "Schema Version:<uuid>", "TokenRange: ", then one TokenRange(...) per line.
func ParseDescribeRing(out string) (*RingDescription, error) {
	rd := &RingDescription{}
	sawSchema := false
	for i, raw := range lines(out) {
		t := strings.TrimSpace(raw)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "Schema Version:"):
			if sawSchema {
				return nil, fmt.Errorf("describering line %d: second Schema Version line", i+1)
			}
			sawSchema = true
			rd.SchemaVersion = strings.TrimSpace(strings.TrimPrefix(t, "Schema Version:"))
		case t == "TokenRange:":
			continue
		case strings.HasPrefix(t, "TokenRange("):
			r, err := parseTokenRange(t)
			if err != nil {
				return nil, fmt.Errorf("describering line %d: %w", i+1, err)
			}
			rd.Ranges = append(rd.Ranges, r)
		default:
			return nil, fmt.Errorf("describering line %d: unexpected %q", i+1, truncate(t))
		}
	}
	if !sawSchema {
		return nil, fmt.Errorf("describering: no \"Schema Version:\" line in output")
	}
	return rd, nil
}

func parseTokenRange(t string) (TokenRange, error) {
	p := &thriftParser{s: t}
	obj, err := p.object()
	if err != nil {
		return TokenRange{}, fmt.Errorf("token range %q: %w", truncate(t), err)
	}
	if p.pos != len(p.s) {
		return TokenRange{}, fmt.Errorf("token range %q: trailing text at %d", truncate(t), p.pos)
	}
	if obj.name != "TokenRange" {
		return TokenRange{}, fmt.Errorf("token range %q: not a TokenRange", truncate(t))
	}
	var r TokenRange
	var sawStart, sawEnd bool
	for _, kv := range obj.fields {
		switch kv.key {
		case "start_token":
			r.Start, sawStart = kv.val.scalar, true
		case "end_token":
			r.End, sawEnd = kv.val.scalar, true
		case "endpoints":
			r.Endpoints = kv.val.scalars()
		case "rpc_endpoints":
			r.RPCEndpoints = kv.val.scalars()
		case "endpoint_details":
			for _, it := range kv.val.list {
				if it.obj == nil || it.obj.name != "EndpointDetails" {
					return r, fmt.Errorf("token range %q: endpoint_details item is not EndpointDetails(...)", truncate(t))
				}
				var d EndpointDetails
				for _, f := range it.obj.fields {
					switch f.key {
					case "host":
						d.Host = f.val.scalar
					case "port":
						port, err := strconv.Atoi(f.val.scalar)
						if err != nil || port < 0 || port > 65535 {
							return r, fmt.Errorf("token range %q: bad port %q", truncate(t), f.val.scalar)
						}
						d.Port = port
					case "datacenter":
						d.Datacenter = f.val.scalar
					case "rack":
						d.Rack = f.val.scalar
					}
				}
				r.EndpointDetails = append(r.EndpointDetails, d)
			}
		}
	}
	if !sawStart || !sawEnd {
		return r, fmt.Errorf("token range %q: no start_token or end_token", truncate(t))
	}
	return r, nil
}

// thriftParser reads the toString() form of Thrift structs that describering prints:
// Name(key:value, key:[a, b], key:[Other(k:v), ...]).
type thriftParser struct {
	s   string
	pos int
}

type thriftObj struct {
	name   string
	fields []thriftKV
}

type thriftKV struct {
	key string
	val thriftVal
}

type thriftVal struct {
	scalar string
	list   []thriftVal
	isList bool
	obj    *thriftObj
}

func (v thriftVal) scalars() []string {
	out := make([]string, 0, len(v.list))
	for _, it := range v.list {
		out = append(out, it.scalar)
	}
	return out
}

const maxThriftDepth = 8

func (p *thriftParser) ident() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *thriftParser) expect(c byte) error {
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return fmt.Errorf("want %q at %d", c, p.pos)
	}
	p.pos++
	return nil
}

func (p *thriftParser) skipSpaces() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *thriftParser) object() (*thriftObj, error) { return p.objectDepth(0) }

func (p *thriftParser) objectDepth(depth int) (*thriftObj, error) {
	if depth > maxThriftDepth {
		return nil, fmt.Errorf("nested too deep at %d", p.pos)
	}
	o := &thriftObj{name: p.ident()}
	if o.name == "" {
		return nil, fmt.Errorf("want a struct name at %d", p.pos)
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if p.pos < len(p.s) && p.s[p.pos] == ')' {
			p.pos++
			return o, nil
		}
		key := p.ident()
		if key == "" {
			return nil, fmt.Errorf("want a field name at %d", p.pos)
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		o.fields = append(o.fields, thriftKV{key: key, val: v})
		p.skipSpaces()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		return o, nil
	}
}

func (p *thriftParser) value(depth int) (thriftVal, error) {
	p.skipSpaces()
	if p.pos < len(p.s) && p.s[p.pos] == '[' {
		p.pos++
		v := thriftVal{isList: true}
		for {
			p.skipSpaces()
			if p.pos < len(p.s) && p.s[p.pos] == ']' {
				p.pos++
				return v, nil
			}
			var it thriftVal
			if p.looksLikeObject() {
				o, err := p.objectDepth(depth + 1)
				if err != nil {
					return v, err
				}
				it.obj = o
			} else {
				it.scalar = p.scalar()
				if it.scalar == "" {
					return v, fmt.Errorf("empty list item at %d", p.pos)
				}
			}
			v.list = append(v.list, it)
			p.skipSpaces()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if err := p.expect(']'); err != nil {
				return v, err
			}
			return v, nil
		}
	}
	if p.looksLikeObject() {
		o, err := p.objectDepth(depth + 1)
		if err != nil {
			return thriftVal{}, err
		}
		return thriftVal{obj: o}, nil
	}
	return thriftVal{scalar: p.scalar()}, nil
}

// looksLikeObject reports whether an identifier followed by '(' starts at pos.
func (p *thriftParser) looksLikeObject() bool {
	save := p.pos
	id := p.ident()
	ok := id != "" && p.pos < len(p.s) && p.s[p.pos] == '('
	p.pos = save
	return ok
}

// scalar reads up to the next ',', ')' or ']' and trims spaces.
func (p *thriftParser) scalar() string {
	start := p.pos
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ',', ')', ']':
			return strings.TrimSpace(p.s[start:p.pos])
		}
		p.pos++
	}
	return strings.TrimSpace(p.s[start:p.pos])
}
