package svc

import "errors"

// Sentinel errors of the package. Match them with errors.Is; they are wrapped with detail.
var (
	// ErrInvalidConfig is returned by Add for a bad Config: a name outside
	// A-Z, a-z, 0-9, dash and underscore, a version that is not SemVer 2.0, a bad queue
	// group or API prefix, or a bad default endpoint.
	ErrInvalidConfig = errors.New("nats: invalid service config")
	// ErrInvalidEndpoint is returned by AddEndpoint for a bad endpoint name, subject or
	// group prefix, or a missing handler.
	ErrInvalidEndpoint = errors.New("nats: invalid service endpoint")
	// ErrInvalidOption is wrapped by every option that rejects its argument, and by
	// Request.Error for an error code that is not a number.
	ErrInvalidOption = errors.New("nats: invalid service option")
	// ErrServiceStopped is returned by AddEndpoint once the service is stopping or stopped.
	ErrServiceStopped = errors.New("nats: service stopped")
)
