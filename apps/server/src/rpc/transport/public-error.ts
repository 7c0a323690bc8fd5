// What a client may see of a failure. A ConnectError was thrown on purpose and
// goes out as it is. An implementation stopping because its call was aborted
// may throw anything (an AbortError, say); the client is owed the reason the
// call was aborted for. Anything else is a bug or an outage whose message may
// name tables, hosts or stack frames, so the client gets a bare INTERNAL and
// the server's log gets the error; an outage of the database is UNAVAILABLE
// STORE_UNAVAILABLE instead, as a write's is, so clients know to retry.

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { withErrorInfo } from "../rpc-error.js";
import { isDatabaseUnavailable } from "./database-unavailable.js";

/**
 * Receives every unexpected error, with the procedure ("pkg.Service/Method") it came
 * from and, where the door knows it, the call's request id (x-request-id).
 */
export type InternalErrorHandler = (error: unknown, procedure: string, requestId?: string) => void;

export const logInternalError: InternalErrorHandler = (error, procedure) => {
  console.error(`rpc ${procedure} failed unexpectedly`, error);
};

export function publicError(thrown: unknown, procedure: string, onInternalError: InternalErrorHandler, signal?: AbortSignal): ConnectError {
  if (thrown instanceof ConnectError) return thrown;
  if (signal?.aborted) return ConnectError.from(signal.reason);
  onInternalError(thrown, procedure);
  if (isDatabaseUnavailable(thrown)) return withErrorInfo(Code.Unavailable, "STORE_UNAVAILABLE", "the database could not be reached; retry later");
  return new ConnectError("internal error", Code.Internal, undefined, undefined, thrown);
}

/** The same rule for the connect-node door, which would otherwise send the raw message as UNKNOWN. */
export function publicErrorInterceptor(onInternalError: InternalErrorHandler): Interceptor {
  return (next) => async (request) => {
    const procedure = `${request.service.typeName}/${request.method.name}`;
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: publicErrors(response.message, procedure, onInternalError, request.signal) };
    } catch (thrown) {
      throw publicError(thrown, procedure, onInternalError, request.signal);
    }
  };
}

async function* publicErrors<T>(messages: AsyncIterable<T>, procedure: string, onInternalError: InternalErrorHandler, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (thrown) {
    throw publicError(thrown, procedure, onInternalError, signal);
  }
}
