package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
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

  private static Process launch(String... env) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName());
    builder.environment().keySet().removeAll(List.of("PORT", "TRACELEDGER_GRPC", "NEXT_URL", "SERVICE_NAME", "HOST", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    for (int i = 0; i < env.length; i += 2) builder.environment().put(env[i], env[i + 1]);
    return builder.start();
  }
}
