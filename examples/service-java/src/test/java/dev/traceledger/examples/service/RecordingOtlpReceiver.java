package dev.traceledger.examples.service;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A stand-in OTLP/HTTP receiver on an ephemeral port: it keeps every span posted to /v1/traces.
 * Spans are read from the protobuf wire format by field number (ExportTraceServiceRequest →
 * ResourceSpans → ScopeSpans → Span), so the test needs no generated OTLP classes.
 */
final class RecordingOtlpReceiver implements AutoCloseable {
  /** What the test checks of one exported span; ids in hex. */
  record ExportedSpan(String serviceName, String traceId, String spanId, String parentSpanId, String name) {}

  private final HttpServer server;
  private final List<ExportedSpan> spans = new ArrayList<>();

  RecordingOtlpReceiver() throws IOException {
    this(0);
  }

  /** On {@code port} (0: any free one), say one where an endpoint that was away comes back. */
  RecordingOtlpReceiver(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/v1/traces", exchange -> {
      try (exchange) {
        record(exchange.getRequestBody().readAllBytes());
        exchange.sendResponseHeaders(200, -1);
      }
    });
    server.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces");
  }

  synchronized List<ExportedSpan> spans() {
    return List.copyOf(spans);
  }

  private synchronized void record(byte[] body) throws InvalidProtocolBufferException {
    for (ByteString resourceSpans : UnknownFieldSet.parseFrom(body).getField(1).getLengthDelimitedList()) {
      UnknownFieldSet rs = UnknownFieldSet.parseFrom(resourceSpans);
      String service = serviceName(UnknownFieldSet.parseFrom(rs.getField(1).getLengthDelimitedList().get(0)));
      for (ByteString scopeSpans : rs.getField(2).getLengthDelimitedList()) {
        for (ByteString span : UnknownFieldSet.parseFrom(scopeSpans).getField(2).getLengthDelimitedList()) {
          UnknownFieldSet s = UnknownFieldSet.parseFrom(span);
          spans.add(new ExportedSpan(service, hex(s, 1), hex(s, 2), hex(s, 4), s.getField(5).getLengthDelimitedList().get(0).toStringUtf8()));
        }
      }
    }
  }

  /** Resource.attributes (1) are KeyValue {key 1, value 2: AnyValue {string_value 1}}. */
  private static String serviceName(UnknownFieldSet resource) throws InvalidProtocolBufferException {
    for (ByteString attribute : resource.getField(1).getLengthDelimitedList()) {
      UnknownFieldSet kv = UnknownFieldSet.parseFrom(attribute);
      if (kv.getField(1).getLengthDelimitedList().get(0).toStringUtf8().equals("service.name")) {
        return UnknownFieldSet.parseFrom(kv.getField(2).getLengthDelimitedList().get(0)).getField(1).getLengthDelimitedList().get(0).toStringUtf8();
      }
    }
    return "";
  }

  private static String hex(UnknownFieldSet message, int field) {
    List<ByteString> values = message.getField(field).getLengthDelimitedList();
    return values.isEmpty() ? "" : HexFormat.of().formatHex(values.get(0).toByteArray());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
