// Commands -> one unary call each (StartSpan, EndSpan, ...), for `mode:
// "immediate"`: every change reaches the server as it happens, at the cost of a
// call per command. The command is encoded like a batch and decoded into the
// generated request type, so both modes send the same content.

import { fromBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { TracingCommandSchema } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import type { TracingClient } from "../client/tracing-client.js";
import type { SpanCommand } from "../commands/span-command.js";
import { encodeTracingCommand } from "../wire/command-encoder.js";
import type { CommandFailure } from "../wire/batch-results.js";
import { ProtoWriter } from "../wire/proto-writer.js";
import type { CommandTransport, PreparedSend } from "./command-transport.js";
import { callFailureKind } from "./retry-policy.js";

export function unaryTransport(client: TracingClient, options: { ownsClient: boolean }): CommandTransport {
  const writer = new ProtoWriter(4 * 1024);
  return {
    prepare(commands: readonly SpanCommand[]): PreparedSend {
      const command = commands[0]!;
      if (command.type === "startSpan") command.sealed = true;
      writer.reset();
      encodeTracingCommand(writer, command);
      const decoded = fromBinary(TracingCommandSchema, writer.finish()).command;
      return {
        count: 1,
        async send(signal): Promise<Array<CommandFailure | undefined>> {
          try {
            switch (decoded.case) {
              case "startSpan":
                await client.startSpan(decoded.value, { signal });
                break;
              case "endSpan":
                await client.endSpan(decoded.value, { signal });
                break;
              case "recordError":
                await client.recordError(decoded.value, { signal });
                break;
              case "addSpanEvent":
                await client.addSpanEvent(decoded.value, { signal });
                break;
              case "setSpanAttributes":
                await client.setSpanAttributes(decoded.value, { signal });
                break;
              default:
                return [{ code: 3, reason: "UNSUPPORTED_COMMAND", message: `cannot send ${String(decoded.case)}` }];
            }
            return [undefined];
          } catch (error) {
            const e = ConnectError.from(error);
            // Failures of the call rather than verdicts on the command (the sink's own abort among
            // them): the sink decides what to do with them.
            if (signal.aborted || callFailureKind(e, signal) !== "final") throw e;
            return [{ code: e.code, reason: reasonOf(e), message: e.rawMessage }];
          }
        },
      };
    },
    close() {
      if (options.ownsClient) client.close();
    },
  };
}

/** The google.rpc.ErrorInfo reason, when the server sent one. */
function reasonOf(error: ConnectError): string {
  return error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
}
