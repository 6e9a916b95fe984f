package jsm

import (
	"errors"
	"fmt"

	"github.com/natsactor/natsactor/conn"
)

// APIError is an error the JetStream API answered with: the HTTP-like Code, the
// server's ErrCode that identifies the condition, and its Description. It matches the
// package's sentinels with errors.Is:
//
//	if errors.Is(err, jsm.ErrStreamNotFound) { ... }
//	var apiErr *jsm.APIError
//	if errors.As(err, &apiErr) { log.Print(apiErr.ErrCode) }
type APIError struct {
	Code        int    `json:"code"`
	ErrCode     uint16 `json:"err_code,omitempty"`
	Description string `json:"description,omitempty"`
}

// Error describes the error as "nats: <description> (code, err_code)".
func (e *APIError) Error() string {
	return fmt.Sprintf("nats: %s (code %d, err_code %d)", e.Description, e.Code, e.ErrCode)
}

// Is reports whether target is a sentinel this error's ErrCode stands for, or an
// *APIError with the same ErrCode (or the same Code when target's ErrCode is 0).
func (e *APIError) Is(target error) bool {
	if e == nil {
		return false
	}
	if t, ok := target.(*APIError); ok {
		if t.ErrCode != 0 {
			return t.ErrCode == e.ErrCode
		}
		return t.Code == e.Code
	}
	for _, c := range sentinelCodes[target] {
		if c == e.ErrCode {
			return true
		}
	}
	return false
}

// Sentinels for the API conditions programs branch on. Each is matched by the
// *APIError of the server error codes listed with it, through errors.Is.
var (
	// ErrJetStreamNotEnabled: JetStream is off on the server (10076) or for the account
	// (10039). Also returned, wrapping conn.ErrNoResponders, when nothing answers on the
	// API subject: no JetStream there, or no such domain.
	ErrJetStreamNotEnabled = errors.New("nats: jetstream not enabled")
	// ErrStreamNotFound: no stream of that name (10059).
	ErrStreamNotFound = errors.New("nats: stream not found")
	// ErrConsumerNotFound: no consumer of that name (10014), or an update of one that
	// does not exist (10149).
	ErrConsumerNotFound = errors.New("nats: consumer not found")
	// ErrStreamNameInUse: a stream of that name exists with another configuration (10058).
	ErrStreamNameInUse = errors.New("nats: stream name already in use")
	// ErrConsumerExists: a create-only request found a consumer of that name with another
	// configuration (10148), or the name is taken (10013, 10105).
	ErrConsumerExists = errors.New("nats: consumer already exists")
	// ErrMsgNotFound: no message matched (10037; a direct get's 404), or the sequence to
	// delete is not in the stream (10043).
	ErrMsgNotFound = errors.New("nats: message not found")
	// ErrWrongLastSequence: an expected-last-sequence condition failed (10071, and 10164
	// as clustered servers say it).
	ErrWrongLastSequence = errors.New("nats: wrong last sequence")
	// ErrStreamWrongLastMsgID: an expected-last-message-ID condition failed (10070).
	ErrStreamWrongLastMsgID = errors.New("nats: wrong last msg ID")
	// ErrBadRequest: the server could not accept the request (10003).
	ErrBadRequest = errors.New("nats: bad request")
	// ErrStreamSubjectOverlap: the subjects overlap those of another stream (10065).
	ErrStreamSubjectOverlap = errors.New("nats: subjects overlap with an existing stream")
	// ErrStreamSealed: the operation is not allowed on a sealed stream (10109).
	ErrStreamSealed = errors.New("nats: invalid operation on sealed stream")
	// ErrMaximumStreamsLimit: the account has as many streams as it may (10027).
	ErrMaximumStreamsLimit = errors.New("nats: maximum number of streams reached")
	// ErrMaximumConsumersLimit: the stream or account has as many consumers as it may (10026).
	ErrMaximumConsumersLimit = errors.New("nats: maximum consumers limit reached")
	// ErrInsufficientResources: the server lacks memory or storage (10023, 10028, 10047,
	// 10002).
	ErrInsufficientResources = errors.New("nats: insufficient resources")
	// ErrClusterUnavailable: the JetStream cluster cannot answer for now (10008, 10009).
	ErrClusterUnavailable = errors.New("nats: jetstream cluster temporarily unavailable")
	// ErrRequiredAPILevel: the server is older than the API level the request needs (10185).
	ErrRequiredAPILevel = errors.New("nats: jetstream minimum api level required")

	// ErrInvalidName is wrapped by the error for a stream or consumer name that is empty,
	// too long, or holds '.', '*', '>', whitespace or a path separator. Nothing is sent.
	ErrInvalidName = errors.New("nats: invalid stream or consumer name")
	// ErrInvalidOption is wrapped by options that reject their argument. It is
	// conn.ErrInvalidOption, so either matches.
	ErrInvalidOption = conn.ErrInvalidOption
	// ErrNoDirectGet is returned by the batch gets for a stream that does not allow
	// direct get (StreamConfig.AllowDirect).
	ErrNoDirectGet = errors.New("nats: stream does not allow direct get")
	// ErrBatchUnsupported is returned by the batch gets when the server is older than 2.11.
	ErrBatchUnsupported = errors.New("nats: batch direct get needs nats-server 2.11 or newer")
	// ErrBadResponse wraps a reply the client could not make sense of.
	ErrBadResponse = errors.New("nats: malformed jetstream API response")
)

// sentinelCodes lists the server error codes each sentinel stands for.
var sentinelCodes = map[error][]uint16{
	ErrJetStreamNotEnabled:   {10076, 10039},
	ErrStreamNotFound:        {10059},
	ErrConsumerNotFound:      {10014, 10149},
	ErrStreamNameInUse:       {10058},
	ErrConsumerExists:        {10148, 10013, 10105},
	ErrMsgNotFound:           {10037, 10043},
	ErrWrongLastSequence:     {10071, 10164},
	ErrStreamWrongLastMsgID:  {10070},
	ErrBadRequest:            {10003},
	ErrStreamSubjectOverlap:  {10065},
	ErrStreamSealed:          {10109},
	ErrMaximumStreamsLimit:   {10027},
	ErrMaximumConsumersLimit: {10026},
	ErrInsufficientResources: {10023, 10028, 10047, 10002},
	ErrClusterUnavailable:    {10008, 10009},
	ErrRequiredAPILevel:      {10185},
}

// errMsgNotFoundCode is the API's "no message found" error code, given to the 404
// status of a direct get so that both ways of reading a message fail alike.
const errMsgNotFoundCode = 10037
