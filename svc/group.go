package svc

import "fmt"

// GroupOption configures a group (AddGroup).
type GroupOption func(*Group)

// WithGroupQueueGroup makes q the queue group of the group's endpoints (and of its
// subgroups'), unless they choose their own.
func WithGroupQueueGroup(q string) GroupOption {
	return func(g *Group) {
		if err := checkQueue(q); err != nil && g.err == nil {
			g.err = fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		g.queue, g.noQueue = q, false
	}
}

// WithGroupNoQueueGroup makes the group's endpoints (and its subgroups') plain
// subscriptions, unless they choose a queue group of their own.
func WithGroupNoQueueGroup() GroupOption {
	return func(g *Group) { g.queue, g.noQueue = "", true }
}

// Group is a subject prefix for endpoints: an endpoint added to group "math" with the
// subject "add" listens on "math.add". Groups nest. A group only exists in the subjects of
// its endpoints; it has no subscription of its own.
type Group struct {
	srv     *Service
	prefix  string
	queue   string // "" with noQueue false: inherit
	noQueue bool
	err     error // a bad name or option, returned by AddEndpoint
}

// AddGroup returns a group whose endpoints' subjects start with name (a valid subject
// prefix, without ">"; "" adds no prefix). A bad name or option is reported by the
// group's AddEndpoint.
func (s *Service) AddGroup(name string, opts ...GroupOption) *Group {
	root := &Group{srv: s, queue: s.queue, noQueue: s.noQueue}
	return root.AddGroup(name, opts...)
}

// AddGroup returns a subgroup whose prefix is the group's prefix, a dot and name.
func (g *Group) AddGroup(name string, opts ...GroupOption) *Group {
	sub := &Group{srv: g.srv, prefix: joinSubject(g.prefix, name), queue: g.queue, noQueue: g.noQueue, err: g.err}
	if name != "" && sub.err == nil {
		if err := checkSubject(name, false); err != nil {
			sub.err = fmt.Errorf("%w: group %v", ErrInvalidEndpoint, err)
		}
	}
	for _, o := range opts {
		o(sub)
	}
	return sub
}

// Prefix returns the subject prefix of the group's endpoints.
func (g *Group) Prefix() string { return g.prefix }

// AddEndpoint adds an endpoint to the group; see Service.AddEndpoint. Its subject is the
// group's prefix, a dot, and its name (or the subject of WithEndpointSubject).
func (g *Group) AddEndpoint(name string, h Handler, opts ...EndpointOption) (*Endpoint, error) {
	if g.err != nil {
		return nil, g.err
	}
	return g.srv.addEndpoint(g, name, h, opts)
}

func joinSubject(prefix, s string) string {
	switch {
	case prefix == "":
		return s
	case s == "":
		return prefix
	}
	return prefix + "." + s
}
