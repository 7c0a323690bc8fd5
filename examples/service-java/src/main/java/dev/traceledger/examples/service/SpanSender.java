package dev.traceledger.examples.service;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Makes the span calls off the request path, one at a time and in the order they were made (so a
 * span's start always precedes its end), retrying those that found traceledger UNAVAILABLE, so
 * that no request waits for them.
 *
 * <p>Only UNAVAILABLE is retried: it says the call was not processed, and StartSpan and EndSpan
 * name their span by client-chosen ids, so a retry of one that did arrive is recognised anyway. A
 * deadline is not retried: a traceledger that does not answer would hold the sender for every retry.
 */
final class SpanSender {
  private static final Logger LOG = Logger.getLogger(SpanSender.class.getName());
  /** What waits to be sent while traceledger is slow or away; more is dropped (and logged). */
  private static final int QUEUE_SIZE = 10_000;

  /** Tries in all (the first included), and the capped doubling of the waits between them. */
  record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    /** Rides out an outage of a few seconds: the waits add up to between 3.5 s and 7.1 s. */
    static final RetryPolicy DEFAULT = new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(2));
    static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    /**
     * The wait before retry number {@code retry} (1 for the first): between half and all of the
     * capped exponential delay, so that services recovering from the same outage do not retry in
     * lock-step.
     */
    long backoffMillis(int retry) {
      long full = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(retry - 1, 30));
      return full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
    }
  }

  private final Channel channel;
  private final RetryPolicy retry;
  private final ThreadPoolExecutor worker;
  /**
   * False after a call got no answer (DEADLINE_EXCEEDED) or found traceledger UNAVAILABLE, until a
   * call gets an answer again. While it is false no request waits for a start: a silent
   * traceledger costs requests nothing.
   */
  private volatile boolean responsive = true;

  SpanSender(Channel channel, RetryPolicy retry) {
    this.channel = channel;
    this.retry = retry;
    this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE_SIZE), task -> {
      // A daemon: a traceledger that is away must not keep a stopping JVM alive.
      Thread thread = new Thread(task, "span-sender");
      thread.setDaemon(true);
      return thread;
    });
  }

  boolean responsive() {
    return responsive;
  }

  /** A request waited its budget for a call's first try in vain. */
  void unanswered() {
    responsive = false;
  }

  /**
   * Never blocks: a full queue or a closed sender drops the call. {@code attempt} makes one try
   * (with its own deadline) and throws what it failed with; {@code tried}, when not null, is
   * counted down once the first try is over, or when the call is dropped.
   */
  void enqueue(String method, Runnable attempt, CountDownLatch tried) {
    try {
      worker.execute(() -> send(method, attempt, tried));
    } catch (RejectedExecutionException e) {
      LOG.warning(method + " dropped: the queue is full or closed");
      if (tried != null) tried.countDown();
    }
  }

  /** Stops taking calls and waits up to {@code grace} for the queued ones; true when all were sent (or given up). */
  boolean close(Duration grace) {
    worker.shutdown();
    try {
      if (worker.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    worker.shutdownNow(); // ends a retry's wait; what is left is dropped
    return false;
  }

  private void send(String method, Runnable attempt, CountDownLatch tried) {
    for (int n = 1; ; n++) {
      Status.Code code = Status.Code.OK;
      try {
        attempt.run();
      } catch (StatusRuntimeException e) {
        code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE || n >= retry.maxAttempts()) {
          LOG.warning(method + " failed (attempt " + n + "): " + e.getStatus());
        }
      } finally {
        // Before the waiting request is let go: the next one must already know whether to wait.
        responsive = code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE;
        if (n == 1 && tried != null) tried.countDown();
      }
      if (code != Status.Code.UNAVAILABLE || n >= retry.maxAttempts()) return;
      try {
        Thread.sleep(retry.backoffMillis(n));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // closing: give up
        return;
      }
      // grpc-java waits up to 2 minutes between reconnections, far past these retries: the retry
      // reconnects at once instead of failing fast until that wait is over.
      if (channel instanceof ManagedChannel managed) managed.resetConnectBackoff();
    }
  }
}
