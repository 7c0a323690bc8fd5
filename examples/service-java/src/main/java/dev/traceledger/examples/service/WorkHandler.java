package dev.traceledger.examples.service;

import static dev.traceledger.examples.service.SpanLifecycle.integer;
import static dev.traceledger.examples.service.SpanLifecycle.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonParseException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import traceledger.v1.SpanTypes.StatusCode;

/**
 * GET /work: continues the caller's trace in one SERVER span, calls the next service (if any) with
 * this span's traceparent, and fails when {@code ?fail=} names this service. The span ends with
 * the outcome: ERROR for its own failure (500) or a downstream 5xx (502), OK otherwise (200).
 */
public final class WorkHandler implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(WorkHandler.class.getName());
  private static final Duration DOWNSTREAM_TIMEOUT = Duration.ofSeconds(10);

  private final SpanLifecycle tracing;
  private final String serviceName;
  private final Optional<URI> next;
  private final HttpClient http;
  private final Optional<OtelWork> otel;

  public WorkHandler(SpanLifecycle tracing, String serviceName, Optional<URI> next, HttpClient http, Optional<OtelWork> otel) {
    this.tracing = tracing;
    this.serviceName = serviceName;
    this.next = next;
    this.http = http;
    this.otel = otel;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      if (!exchange.getRequestURI().getPath().equals("/work")) {
        reply(exchange, 404, error("no route " + exchange.getRequestURI().getPath()));
      } else if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        reply(exchange, 405, error("only GET is allowed"));
      } else {
        work(exchange);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "GET /work failed", e);
      if (exchange.getResponseCode() == -1) reply(exchange, 500, error("internal error"));
    } finally {
      exchange.close();
    }
  }

  private void work(HttpExchange exchange) throws IOException {
    String fail = Objects.requireNonNullElse(queryParameter(exchange.getRequestURI(), "fail"), "");
    var headers = exchange.getRequestHeaders();
    // Every line of each header: a repeated traceparent is invalid, tracestate lines are combined.
    SpanLifecycle.Span span = tracing.startServerSpan("GET /work", headers.get("traceparent"), headers.get("tracestate"));
    tracing.addEvent(span, "work.started", List.of(text("fail", fail)));
    otel.ifPresent(o -> o.prepare(span.traceparent(), fail));

    JsonElement downstream = JsonNull.INSTANCE;
    String downstreamFailure = null;
    if (next.isPresent()) {
      try {
        HttpResponse<String> answer = callNext(next.get(), span, fail);
        if (answer.statusCode() >= 500) {
          downstreamFailure = "downstream failed: " + answer.statusCode();
        } else {
          downstream = parseJson(answer.body());
        }
      } catch (IOException e) {
        downstreamFailure = "downstream unreachable: " + e;
        tracing.recordError(span, e.getClass().getName(), String.valueOf(e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        downstreamFailure = "interrupted while calling downstream";
      }
    }

    JsonObject body = new JsonObject();
    body.addProperty("service", serviceName);
    body.addProperty("traceparent", span.traceparent());
    int status;
    if (serviceName.equals(fail)) {
      String message = serviceName + " was asked to fail";
      tracing.recordError(span, "WorkFailed", message);
      body.addProperty("error", message);
      status = 500;
      tracing.end(span, StatusCode.STATUS_CODE_ERROR, serviceName + " failed", List.of(integer("http.response.status_code", status)));
    } else if (downstreamFailure != null) {
      body.addProperty("error", downstreamFailure);
      status = 502;
      tracing.end(span, StatusCode.STATUS_CODE_ERROR, downstreamFailure, List.of(integer("http.response.status_code", status)));
    } else {
      body.add("downstream", downstream);
      status = 200;
      tracing.end(span, StatusCode.STATUS_CODE_OK, "", List.of(integer("http.response.status_code", status)));
    }
    body.addProperty("status", status);
    reply(exchange, status, body);
  }

  private HttpResponse<String> callNext(URI base, SpanLifecycle.Span span, String fail)
      throws IOException, InterruptedException {
    String query = fail.isEmpty() ? "" : "?fail=" + URLEncoder.encode(fail, StandardCharsets.UTF_8);
    var request = HttpRequest.newBuilder(URI.create(base + "/work" + query))
        .timeout(DOWNSTREAM_TIMEOUT)
        .header("traceparent", span.traceparent());
    if (!span.tracestate().isEmpty()) request.header("tracestate", span.tracestate());
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonElement parseJson(String text) {
    try {
      return JsonParser.parseString(text);
    } catch (JsonParseException e) {
      LOG.warning("downstream answered with a body that is not JSON: " + e.getMessage());
      return JsonNull.INSTANCE;
    }
  }

  private static String queryParameter(URI uri, String name) {
    String query = uri.getRawQuery();
    if (query == null) return null;
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (key.equals(name)) return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
    }
    return null;
  }

  private static JsonObject error(String message) {
    JsonObject body = new JsonObject();
    body.addProperty("error", message);
    return body;
  }

  private static void reply(HttpExchange exchange, int status, JsonObject body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
