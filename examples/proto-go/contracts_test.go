// Tests of the Go code generated from proto/traceledger/v1 (see codegen.sh): wire
// round trips, descriptors, a real gRPC loopback call, and a golden message encoded
// by the TypeScript generated code of @traceledger/proto.
package protogo_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
)

// The generated client constructor must exist with its usual signature.
var _ func(grpc.ClientConnInterface) tracev1.TracingServiceClient = tracev1.NewTracingServiceClient

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func str(v string) *tracev1.AnyValue {
	return &tracev1.AnyValue{Value: &tracev1.AnyValue_StringValue{StringValue: v}}
}

func i64(v int64) *tracev1.AnyValue {
	return &tracev1.AnyValue{Value: &tracev1.AnyValue_IntValue{IntValue: v}}
}

func boolean(v bool) *tracev1.AnyValue {
	return &tracev1.AnyValue{Value: &tracev1.AnyValue_BoolValue{BoolValue: v}}
}

func kv(key string, value *tracev1.AnyValue) *tracev1.KeyValue {
	return &tracev1.KeyValue{Key: key, Value: value}
}

// fullStartSpanRequest sets every field of StartSpanRequest and every kind of
// AnyValue. It must stay identical to the message encoded in
// testdata/start_span_request.hex (see TestGoldenFromTypeScript).
func fullStartSpanRequest(t *testing.T) *tracev1.StartSpanRequest {
	t.Helper()
	return &tracev1.StartSpanRequest{
		TraceId:        mustHex(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
		SpanId:         mustHex(t, "b7ad6b7169203331"),
		ParentSpanId:   mustHex(t, "00f067aa0ba902b7"),
		Traceparent:    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		ParentIsRemote: true,
		Tracestate:     "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
		Name:           "GET /orders/{id}",
		Kind:           tracev1.SpanKind_SPAN_KIND_SERVER,
		ServiceName:    "orders",
		// Above 2^53, so a lossy double conversion anywhere would show.
		StartTimeUnixNano: 1700000000123456789,
		Attributes: []*tracev1.KeyValue{
			kv("http.request.method", str("GET")),
			kv("http.response.status_code", i64(200)),
			kv("retry.delta", i64(-3)),
			kv("cache.hit", boolean(true)),
			kv("sample.ratio", &tracev1.AnyValue{Value: &tracev1.AnyValue_DoubleValue{DoubleValue: 0.25}}),
			kv("payload.digest", &tracev1.AnyValue{Value: &tracev1.AnyValue_BytesValue{BytesValue: mustHex(t, "deadbeef")}}),
			kv("customer.note", str("café ☕")),
			kv("empty", &tracev1.AnyValue{}),
			kv("tags", &tracev1.AnyValue{Value: &tracev1.AnyValue_ArrayValue{ArrayValue: &tracev1.ArrayValue{
				Values: []*tracev1.AnyValue{str("a"), i64(1), boolean(false)},
			}}}),
			kv("order", &tracev1.AnyValue{Value: &tracev1.AnyValue_KvlistValue{KvlistValue: &tracev1.KeyValueList{
				Values: []*tracev1.KeyValue{kv("id", str("o-42")), kv("lines", i64(3))},
			}}}),
		},
		Links: []*tracev1.SpanLink{{
			TraceId:                mustHex(t, "0af7651916cd43dd8448eb211c80319c"),
			SpanId:                 mustHex(t, "b9c7c989f97918e1"),
			Tracestate:             "rojo=b9c7c989f97918e1",
			Attributes:             []*tracev1.KeyValue{kv("link.reason", str("batch"))},
			DroppedAttributesCount: 2,
			Flags:                  1,
		}},
		ResourceAttributes: []*tracev1.KeyValue{
			kv("service.name", str("orders")),
			kv("host.cores", i64(2)),
		},
		RequestId:     "req-0001",
		ScopeName:     "traceledger-example",
		ScopeVersion:  "1.4.0",
		RandomTraceId: true,
	}
}

func TestStartSpanRequestRoundTrip(t *testing.T) {
	want := fullStartSpanRequest(t)
	b, err := proto.Marshal(want)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got := &tracev1.StartSpanRequest{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !proto.Equal(want, got) {
		t.Fatalf("round trip changed the message:\nwant %v\ngot  %v", want, got)
	}
	if len(got.GetTraceId()) != 16 || len(got.GetSpanId()) != 8 {
		t.Fatalf("id lengths: trace %d, span %d", len(got.GetTraceId()), len(got.GetSpanId()))
	}
	if got.GetKind() != tracev1.SpanKind_SPAN_KIND_SERVER {
		t.Fatalf("kind = %v", got.GetKind())
	}
	if v := got.GetAttributes()[9].GetValue().GetKvlistValue().GetValues()[0].GetValue().GetStringValue(); v != "o-42" {
		t.Fatalf("nested kvlist value = %q", v)
	}
}

func TestFieldNumbers(t *testing.T) {
	cases := []struct {
		msg   proto.Message
		field protoreflect.Name
		want  protoreflect.FieldNumber
	}{
		{&tracev1.StartSpanRequest{}, "trace_id", 1},
		{&tracev1.StartSpanRequest{}, "traceparent", 4},
		{&tracev1.StartSpanRequest{}, "request_id", 14},
		{&tracev1.Status{}, "message", 2},
		{&tracev1.Status{}, "code", 3},
		{&tracev1.AnyValue{}, "kvlist_value", 6}, // as OTLP's AnyValue
		{&tracev1.TraceEvent{}, "span_started", 2},
	}
	for _, c := range cases {
		md := c.msg.ProtoReflect().Descriptor()
		fd := md.Fields().ByName(c.field)
		if fd == nil {
			t.Errorf("%s has no field %s", md.FullName(), c.field)
			continue
		}
		if fd.Number() != c.want {
			t.Errorf("%s.%s is field %d, want %d", md.FullName(), c.field, fd.Number(), c.want)
		}
	}
	statusMD := (&tracev1.Status{}).ProtoReflect().Descriptor()
	if !statusMD.ReservedRanges().Has(1) {
		t.Errorf("Status must keep field 1 reserved")
	}
}

// Managed mode (buf.gen.yaml) adds go_package and nothing else to the descriptors.
// Every registered file of traceledger.v1 is checked, so a new .proto cannot be missed.
func TestFileOptionsOnlyGoPackage(t *testing.T) {
	want := &descriptorpb.FileOptions{
		GoPackage: proto.String("github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1;traceledgerv1"),
	}
	var seen []string
	protoregistry.GlobalFiles.RangeFilesByPackage("traceledger.v1", func(fd protoreflect.FileDescriptor) bool {
		seen = append(seen, fd.Path())
		if fd.Package() != "traceledger.v1" {
			t.Errorf("%s: package %s", fd.Path(), fd.Package())
		}
		if got := fd.Options().(*descriptorpb.FileOptions); !proto.Equal(got, want) {
			t.Errorf("%s: file options %v, want %v", fd.Path(), got, want)
		}
		return true
	})
	if len(seen) < 7 {
		t.Errorf("saw %d registered traceledger.v1 files %v, want at least 7", len(seen), seen)
	}

	// The registered files are exactly the .proto files the code is generated from.
	onDisk, err := filepath.Glob("../../proto/traceledger/v1/*.proto")
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	for i, path := range onDisk {
		onDisk[i] = strings.TrimPrefix(filepath.ToSlash(path), "../../proto/")
	}
	slices.Sort(seen)
	slices.Sort(onDisk)
	if !slices.Equal(seen, onDisk) {
		t.Errorf("registered files\n got  %v\n want %v (proto/traceledger/v1)", seen, onDisk)
	}
}

func TestTraceEventRoundTrip(t *testing.T) {
	started := &tracev1.SpanStarted{
		TraceId:           mustHex(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
		SpanId:            mustHex(t, "b7ad6b7169203331"),
		ParentSpanId:      mustHex(t, "00f067aa0ba902b7"),
		ParentIsRemote:    true,
		Name:              "GET /orders/{id}",
		Kind:              tracev1.SpanKind_SPAN_KIND_SERVER,
		ServiceName:       "orders",
		StartTimeUnixNano: 1700000000123456789,
		Attributes:        []*tracev1.KeyValue{kv("http.request.method", str("GET"))},
		Flags:             1,
		ScopeName:         "traceledger-example",
	}
	event := &tracev1.TraceEvent{Event: &tracev1.TraceEvent_SpanStarted{SpanStarted: started}}

	b, err := proto.Marshal(event)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got := &tracev1.TraceEvent{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !proto.Equal(event, got) {
		t.Fatalf("round trip changed the event:\nwant %v\ngot  %v", event, got)
	}
	if _, ok := got.GetEvent().(*tracev1.TraceEvent_SpanStarted); !ok {
		t.Fatalf("event case = %T, want *TraceEvent_SpanStarted", got.GetEvent())
	}

	// The contract of TraceEvent: its bytes are the event's tag and length
	// followed by the event's own bytes, so a stored payload wraps without decoding.
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(started)
	if err != nil {
		t.Fatalf("marshal payload: %v", err)
	}
	wrapped := protowire.AppendTag(nil, 2, protowire.BytesType)
	wrapped = protowire.AppendBytes(wrapped, payload)
	fromPayload := &tracev1.TraceEvent{}
	if err := proto.Unmarshal(wrapped, fromPayload); err != nil {
		t.Fatalf("unmarshal wrapped payload: %v", err)
	}
	if !proto.Equal(event, fromPayload) {
		t.Fatalf("tag+length+payload did not decode as the TraceEvent")
	}
}

func TestTracingServiceDescriptor(t *testing.T) {
	want := []string{
		"StartTrace", "StartSpan", "EndSpan", "RecordError", "AddSpanEvent",
		"SetSpanAttributes", "IngestBatch", "GetTrace", "ListTraces",
		"GetTraceEvents", "WatchTrace",
	}
	sd := tracev1.File_traceledger_v1_tracing_service_proto.Services().ByName("TracingService")
	if sd == nil {
		t.Fatal("TracingService not found in tracing_service.proto")
	}
	if sd.FullName() != "traceledger.v1.TracingService" {
		t.Fatalf("service full name %s", sd.FullName())
	}
	var got []string
	for i := 0; i < sd.Methods().Len(); i++ {
		got = append(got, string(sd.Methods().Get(i).Name()))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("methods\n got  %v\n want %v", got, want)
	}
	if !sd.Methods().ByName("WatchTrace").IsStreamingServer() {
		t.Fatal("WatchTrace must be server-streaming")
	}

	// The grpc-go service description agrees with the descriptor.
	if tracev1.TracingService_ServiceDesc.ServiceName != "traceledger.v1.TracingService" {
		t.Fatalf("ServiceDesc name %s", tracev1.TracingService_ServiceDesc.ServiceName)
	}
	var grpcMethods []string
	for _, m := range tracev1.TracingService_ServiceDesc.Methods {
		grpcMethods = append(grpcMethods, m.MethodName)
	}
	for _, s := range tracev1.TracingService_ServiceDesc.Streams {
		grpcMethods = append(grpcMethods, s.StreamName)
	}
	if !slices.Equal(grpcMethods, want) {
		t.Fatalf("ServiceDesc methods\n got  %v\n want %v", grpcMethods, want)
	}
}

// startSpanOnly implements StartSpan; every other method is the generated
// Unimplemented one.
type startSpanOnly struct {
	tracev1.UnimplementedTracingServiceServer
}

func (startSpanOnly) StartSpan(_ context.Context, req *tracev1.StartSpanRequest) (*tracev1.StartSpanResponse, error) {
	if len(req.GetTraceId()) != 16 || len(req.GetSpanId()) != 8 {
		return nil, status.Error(codes.InvalidArgument, "need a 16-byte trace_id and an 8-byte span_id")
	}
	return &tracev1.StartSpanResponse{
		TraceId:      req.GetTraceId(),
		SpanId:       req.GetSpanId(),
		Traceparent:  fmt.Sprintf("00-%x-%x-01", req.GetTraceId(), req.GetSpanId()),
		TraceVersion: 1,
		TraceStarted: true,
	}, nil
}

func TestGRPCLoopback(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer()
	tracev1.RegisterTracingServiceServer(srv, startSpanOnly{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := tracev1.NewTracingServiceClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	req := fullStartSpanRequest(t)
	resp, err := client.StartSpan(ctx, req)
	if err != nil {
		t.Fatalf("StartSpan: %v", err)
	}
	want := &tracev1.StartSpanResponse{
		TraceId:      req.GetTraceId(),
		SpanId:       req.GetSpanId(),
		Traceparent:  "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01",
		TraceVersion: 1,
		TraceStarted: true,
	}
	if !proto.Equal(resp, want) {
		t.Fatalf("StartSpan answered %v, want %v", resp, want)
	}

	_, err = client.StartSpan(ctx, &tracev1.StartSpanRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("StartSpan without ids: %v, want InvalidArgument", err)
	}

	_, err = client.EndSpan(ctx, &tracev1.EndSpanRequest{TraceId: req.GetTraceId(), SpanId: req.GetSpanId()})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("EndSpan: %v, want Unimplemented", err)
	}

	stream, err := client.WatchTrace(ctx, &tracev1.WatchTraceRequest{TraceId: req.GetTraceId()})
	if err != nil {
		t.Fatalf("WatchTrace: %v", err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unimplemented {
		t.Fatalf("WatchTrace Recv: %v, want Unimplemented", err)
	}
}

// testdata/start_span_request.hex is the StartSpanRequest of fullStartSpanRequest,
// encoded by the TypeScript generated code (@traceledger/proto, protoc-gen-es v2.13.0,
// @bufbuild/protobuf 2.17.0): a throwaway script outside the repository built the same
// message with create(StartSpanRequestSchema, {...}) and printed
// Buffer.from(toBinary(StartSpanRequestSchema, msg)).toString("hex"); it was run from
// the repository root with `npx tsx`. The message has no map fields, so its encoding
// is deterministic. If StartSpanRequest changes, rebuild the fixture the same way.
func TestGoldenFromTypeScript(t *testing.T) {
	raw, err := os.ReadFile("testdata/start_span_request.hex")
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("fixture is not hex: %v", err)
	}
	got := &tracev1.StartSpanRequest{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("Go cannot decode the TypeScript bytes: %v", err)
	}
	if want := fullStartSpanRequest(t); !proto.Equal(got, want) {
		t.Fatalf("TypeScript-encoded message differs from the Go one:\n got  %v\n want %v", got, want)
	}
	if n := len(got.ProtoReflect().GetUnknown()); n != 0 {
		t.Fatalf("%d bytes of unknown fields", n)
	}
}
