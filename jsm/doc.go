// Package jsm is natsactor's JetStream management API: streams, consumers, stored
// messages and the account, over a *conn.Conn.
//
//	m := jsm.New(c)                                   // or jsm.New(c, jsm.WithDomain("hub"))
//	info, err := m.AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
//	ci, err := m.AddConsumer(ctx, "ORDERS", jsm.ConsumerConfig{Durable: "proc"})
//	for name, err := range m.StreamNames(ctx) { ... }
//	msg, err := m.GetLastMsg(ctx, "ORDERS", "orders.new")
//	if errors.Is(err, jsm.ErrMsgNotFound) { ... }
//
// The configuration and information types carry the JSON of the server's API
// exactly: the same keys, durations as nanoseconds, times in RFC 3339, and
// enumerations as Go integers that marshal to the server's strings (the zero
// AckPolicy is AckExplicit). Configurations are passed by value.
//
// Every call that talks to the server takes a ctx first and blocks until the server
// answered, ctx ended, or — when ctx has no deadline — the Manager's timeout
// (DefaultTimeout, 5 s, or WithTimeout) passed. Lists are iter.Seq2 values that ask
// for the server's pages as the loop goes; their ctx ends the iteration.
//
// Errors the server answers with are *APIError values that match the package's
// sentinels through errors.Is (ErrStreamNotFound, ErrConsumerNotFound,
// ErrWrongLastSequence, ...). A server without JetStream, where nothing answers on
// the API, gives ErrJetStreamNotEnabled rather than a timeout. Stream and consumer
// names are checked before anything is sent (ErrInvalidName).
//
// Stored messages are read with a direct get (ADR-31) when the stream allows it and
// through the stream leader's API otherwise; GetBatch and GetLastBatch read many
// messages, or the last message of many subjects, with batched direct gets.
//
// Packages built on jsm use APIRequest, APIPrefix and Conn to reach API calls of
// their own.
package jsm
