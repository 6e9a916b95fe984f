package obj_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/natsactor/natsactor/internal/natstest"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/obj"
)

// exampleClient starts an in-process JetStream server, connects to it and returns a
// js.Client, and the function that closes and stops everything.
func exampleClient() (*js.Client, func()) {
	url, stopServer := natstest.Example(true)
	c, err := conn.Connect(context.Background(), url)
	if err != nil {
		panic(err)
	}
	return js.New(c), func() { c.Close(); stopServer() }
}

// exampleStore is exampleClient with a bucket "files" created.
func exampleStore() (*obj.Store, func()) {
	j, stop := exampleClient()
	s, err := obj.Create(context.Background(), j, obj.Config{Bucket: "files"})
	if err != nil {
		stop()
		panic(err)
	}
	return s, stop
}

func ExampleCreate() {
	j, stop := exampleClient()
	defer stop()
	ctx := context.Background() // each request is bounded by the API timeout, 5 s

	s, err := obj.Create(ctx, j, obj.Config{Bucket: "files", Description: "uploads"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Status(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Bucket, st.Description, st.BackingStore, st.StreamInfo.Config.Subjects)

	_, err = obj.Open(ctx, j, "missing")
	fmt.Println(errors.Is(err, obj.ErrBucketNotFound))
	// Output:
	// files uploads JetStream [$O.files.C.> $O.files.M.>]
	// true
}

func ExampleStore_Put() {
	s, stop := exampleStore()
	defer stop()
	ctx := context.Background()

	// Any io.Reader: it is read one chunk at a time, never whole.
	data := strings.Repeat("natsactor ", 100_000) // 1,000,000 bytes
	info, err := s.Put(ctx, obj.Meta{Name: "report.txt", Description: "the report"}, strings.NewReader(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	sum := sha256.Sum256([]byte(data))
	fmt.Println(info.Name, info.Size, info.Chunks, info.ChunkSize)
	fmt.Println(info.Digest == "SHA-256="+base64URL(sum[:]))
	// Output:
	// report.txt 1000000 8 131072
	// true
}

func ExampleStore_Get() {
	s, stop := exampleStore()
	defer stop()
	ctx := context.Background()
	if _, err := s.PutString(ctx, "hello.txt", "hello, object store"); err != nil {
		fmt.Println(err)
		return
	}

	r, err := s.Get(ctx, "hello.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	var out bytes.Buffer
	// The Read that reaches the end checks the size, chunk count and digest.
	if _, err := io.Copy(&out, r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.String(), r.Info().Size)

	_, err = s.Get(ctx, "nope")
	fmt.Println(errors.Is(err, obj.ErrObjectNotFound))
	// Output:
	// hello, object store 19
	// true
}

func ExampleStore_GetRange() {
	s, stop := exampleStore()
	defer stop()
	ctx := context.Background()
	var data bytes.Buffer
	for i := range 100_000 {
		fmt.Fprintf(&data, "%06d\n", i) // 700,000 bytes in 6 chunks
	}
	if _, err := s.PutBytes(ctx, "lines", data.Bytes()); err != nil {
		fmt.Println(err)
		return
	}
	// Line 90,000 lies in the sixth chunk: only that chunk is fetched.
	r, err := s.GetRange(ctx, "lines", 90_000*7, 14)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	fmt.Printf("%q %v\n", b, err)
	// Output: "090000\n090001\n" <nil>
}

func ExampleStore_Watch() {
	s, stop := exampleStore()
	defer stop()
	ctx := context.Background()
	if _, err := s.PutString(ctx, "a", "first"); err != nil {
		fmt.Println(err)
		return
	}
	w, err := s.Watch(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Stop()
	if _, err := s.PutString(ctx, "b", "second"); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Delete(ctx, "a"); err != nil {
		fmt.Println(err)
		return
	}
	for range 4 {
		info, err := w.Next(ctx)
		switch {
		case err != nil:
			fmt.Println(err)
			return
		case info == nil:
			fmt.Println("-- initial values done --")
		default:
			fmt.Println(info.Name, info.Size, info.Deleted)
		}
	}
	// Output:
	// a 5 false
	// -- initial values done --
	// b 6 false
	// a 0 true
}

func ExampleStore_List() {
	s, stop := exampleStore()
	defer stop()
	ctx := context.Background()
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		if _, err := s.PutString(ctx, name, "content of "+name); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := s.Delete(ctx, "b.txt"); err != nil {
		fmt.Println(err)
		return
	}
	target, err := s.Info(ctx, "c.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := s.AddLink(ctx, "latest", target); err != nil {
		fmt.Println(err)
		return
	}
	for info, err := range s.List(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(info.Name, info.Size, info.IsLink())
	}
	latest, err := s.GetString(ctx, "latest") // links are followed
	fmt.Println(latest, err)
	// Output:
	// a.txt 16 false
	// c.txt 16 false
	// latest 0 true
	// content of c.txt <nil>
}
