package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The launch contract other tests rely on: one {"listening":port} line on stdout, logs on stderr. */
class MainProcessTest {
  @Test
  void printsOnlyTheListeningLineOnStdout() throws Exception {
    RecordingTracingService traceledger = new RecordingTracingService();
    Server grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    Process process = launch("PORT", "0", "TRACELEDGER_GRPC", "127.0.0.1:" + grpc.getPort(), "SERVICE_NAME", "java");
    try (var stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line = stdout.readLine();
      Matcher m = Pattern.compile("\\{\"listening\":(\\d+)}").matcher(line);
      assertTrue(m.matches(), "first stdout line: " + line);

      var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/work")).GET().build();
      HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals(List.of("java"), traceledger.starts().stream().map(s -> s.getServiceName()).toList());

      process.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of stdout)
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exits on SIGTERM");
      assertEquals(null, stdout.readLine(), "nothing else on stdout");
    } finally {
      process.destroyForcibly();
      grpc.shutdownNow();
    }
  }

  @Test
  void refusesABadConfigurationWithAMessage() throws Exception {
    Process process = launch("PORT", "http");
    assertTrue(process.waitFor(10, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(stderr.contains("PORT=http"), stderr);
  }

  @Test
  void atSampleRateZeroARequestWithoutTraceparentIsPropagatedUnsampledAndNotRecorded() throws Exception {
    RecordingTracingService traceledger = new RecordingTracingService();
    Server grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    var next = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    next.createContext("/", exchange -> {
      seen.add(exchange.getRequestHeaders().getFirst("traceparent"));
      byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    next.start();
    Process process = launch("PORT", "0", "TRACELEDGER_GRPC", "127.0.0.1:" + grpc.getPort(), "TRACING_SAMPLE_RATE", "0",
        "NEXT_URL", "http://127.0.0.1:" + next.getAddress().getPort());
    try (var stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      Matcher m = Pattern.compile("\\{\"listening\":(\\d+)}").matcher(stdout.readLine());
      assertTrue(m.matches());
      URI work = URI.create("http://127.0.0.1:" + m.group(1) + "/work");
      var client = HttpClient.newHttpClient();

      assertEquals(200, client.send(HttpRequest.newBuilder(work).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      String sent = seen.get(0);
      // Not sampled, but its trace id is random: flags 02 (Level 2's random trace-id flag).
      assertTrue(sent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-02"), "the next service got traceparent " + sent + ": want a new trace with flags 02");
      // A sampled caller still wins over the rate: its trace is recorded.
      String caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      assertEquals(200, client.send(HttpRequest.newBuilder(work).header("traceparent", caller).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertTrue(seen.get(1).endsWith("-01"), seen.get(1));

      // On SIGTERM the service sends every call still queued before it exits: what traceledger has
      // then is all it will ever get.
      process.toHandle().destroy();
      assertTrue(process.waitFor(15, TimeUnit.SECONDS), "exits on SIGTERM");
      var calls = traceledger.calls();
      assertEquals(List.of("StartSpan", "AddSpanEvent", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
      assertEquals(List.of("4bf92f3577b34da6a3ce929d0e0e4736"), calls.stream().map(RecordingTracingService.Call::traceId).distinct().toList(),
          "the traces in traceledger");
    } finally {
      process.destroyForcibly();
      grpc.shutdownNow();
      next.stop(0);
    }
  }

  /**
   * A first connection to traceledger slower than a call's 500 ms deadline (a busy machine, a
   * cold JVM) lost the first request's start: the service said it was listening before it was
   * connected. Here a proxy holds each new connection for two seconds before passing it on.
   */
  @Test
  void aSlowFirstConnectionToTraceledgerDoesNotLoseTheFirstSpan() throws Exception {
    RecordingTracingService traceledger = new RecordingTracingService();
    Server grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    try (ServerSocket slow = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread proxy = new Thread(() -> {
        while (!slow.isClosed()) {
          try {
            Socket client = slow.accept();
            Thread.sleep(2000);
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), grpc.getPort());
            pipe(client, upstream);
            pipe(upstream, client);
          } catch (IOException | InterruptedException e) {
            return;
          }
        }
      }, "slow-proxy");
      proxy.setDaemon(true);
      proxy.start();
      Process process = launch("PORT", "0", "TRACELEDGER_GRPC", "127.0.0.1:" + slow.getLocalPort());
      try (var stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        Matcher m = Pattern.compile("\\{\"listening\":(\\d+)}").matcher(stdout.readLine());
        assertTrue(m.matches());
        String caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var work = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/work")).header("traceparent", caller).GET().build();
        assertEquals(200, HttpClient.newHttpClient().send(work, HttpResponse.BodyHandlers.ofString()).statusCode());
        process.toHandle().destroy();
        assertTrue(process.waitFor(15, TimeUnit.SECONDS), "exits on SIGTERM");
        assertEquals(List.of("StartSpan", "AddSpanEvent", "EndSpan"), traceledger.calls().stream().map(RecordingTracingService.Call::method).toList());
      } finally {
        process.destroyForcibly();
      }
    } finally {
      grpc.shutdownNow();
    }
  }

  /** Copies {@code from} to {@code to} on a daemon thread until either closes. */
  private static void pipe(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      try (from; to) {
        from.getInputStream().transferTo(to.getOutputStream());
      } catch (IOException e) {
        // one side closed: so does the other
      }
    }, "pipe");
    thread.setDaemon(true);
    thread.start();
  }

  @Test
  void refusesABadSampleRateWithAMessage() throws Exception {
    for (String rate : List.of("half", "1.5", "-0.1")) {
      Process process = launch("PORT", "0", "TRACING_SAMPLE_RATE", rate);
      try {
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "TRACING_SAMPLE_RATE=" + rate + " did not stop the service");
        assertEquals(2, process.exitValue());
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(stderr.contains("TRACING_SAMPLE_RATE=\"" + rate + "\" must be a number between 0 and 1"), stderr);
      } finally {
        process.destroyForcibly();
      }
    }
  }

  private static Process launch(String... env) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName());
    builder.environment().keySet().removeAll(List.of("PORT", "TRACELEDGER_GRPC", "NEXT_URL", "SERVICE_NAME", "HOST", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "TRACING_SAMPLE_RATE"));
    for (int i = 0; i < env.length; i += 2) builder.environment().put(env[i], env[i + 1]);
    return builder.start();
  }
}
