// Commands -> one IngestBatch call. The batch is encoded by hand into one
// buffer (wire/batch-request.ts) and the response is scanned without decoding
// successful results (wire/batch-results.ts).

import type { Message } from "@bufbuild/protobuf";
import type { TracingClient } from "../client/tracing-client.js";
import type { SpanCommand } from "../commands/span-command.js";
import { batchMessage, encodeBatch } from "../wire/batch-request.js";
import { readBatchResults } from "../wire/batch-results.js";
import { ProtoWriter } from "../wire/proto-writer.js";
import { RAW_TYPE_NAME, rawIngestBatch } from "../wire/raw-methods.js";
import type { CommandTransport, PreparedSend } from "./command-transport.js";

export function ingestBatchTransport(client: TracingClient, options: { maxBatchBytes: number; ownsClient: boolean }): CommandTransport {
  const writer = new ProtoWriter(64 * 1024);
  // The urgent sender's, beside the main one's: each has one call in flight at a time (retried with its bytes).
  const alongsideWriter = new ProtoWriter(4 * 1024);
  return {
    prepare(commands: readonly SpanCommand[], alongside = false): PreparedSend {
      const { batch, taken, tooLarge } = encodeBatch(alongside ? alongsideWriter : writer, commands, options.maxBatchBytes);
      const message = batchMessage<Message<typeof RAW_TYPE_NAME>>(RAW_TYPE_NAME, batch);
      const first = commands[0];
      return {
        count: taken,
        ...(tooLarge !== undefined && first !== undefined
          ? {
              unsendable:
                `a ${first.type} command of span ${first.spanId} (trace ${first.traceId}) is ${tooLarge} bytes, ` +
                `more than a batch may carry (batch.maxBatchBytes: ${options.maxBatchBytes})`,
            }
          : {}),
        async send(signal) {
          const response = await client.transport.unary(rawIngestBatch, signal, undefined, undefined, message);
          return readBatchResults(response.message.$unknown);
        },
      };
    },
    close() {
      if (options.ownsClient) client.close();
    },
  };
}
