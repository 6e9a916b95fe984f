// Package svc implements the NATS services protocol (ADR-32, the "micro" framework):
// a service is a named, versioned set of request/reply endpoints that tools such as the
// nats CLI, and the service clients of every other NATS library, can discover and
// monitor through the $SRV subjects.
//
//	srv, err := svc.Add(ctx, c, svc.Config{Name: "calc", Version: "1.0.0"})
//	g := srv.AddGroup("math")
//	g.AddEndpoint("add", svc.HandlerFunc(func(r *svc.Request) { r.Respond(sum(r.Data())) }))
//	...
//	srv.Stop()
//
// Each endpoint is a queue subscription (queue group "q" unless configured otherwise,
// or a plain subscription with WithEndpointNoQueueGroup) whose handler runs on the
// subscription's own goroutine, one request at a time, and keeps its statistics:
// requests, errors, the last error and the processing time. An endpoint can also hand its
// requests out on a channel (WithRequestChannel and Endpoint.Requests) for services
// written as a select loop.
//
// A service answers $SRV.PING, $SRV.INFO and $SRV.STATS at three levels: for all services,
// for every instance with its name ($SRV.INFO.calc), and for one instance
// ($SRV.INFO.calc.<id>). The answers are the JSON documents of ADR-32, types
// io.nats.micro.v1.ping_response, info_response and stats_response. The discovery client
// (Ping, Info, Stats) gathers those answers from every instance.
//
// Errors are reported to the requester with the headers Nats-Service-Error and
// Nats-Service-Error-Code (Request.Error); a client can read them back with ResponseError.
// A handler that panics is answered with a 500 error and the service goes on.
//
// Stop drains the endpoints (requests already received are handled and answered), then the
// monitoring subscriptions, and calls the DoneHandler once. A service also stops when its
// connection closes.
package svc
