// The type, message and stack of anything thrown: an Error (the class name when
// the instance did not set its own name), or any other value. Applications
// throw anything, including values that throw when they are looked at (an
// object without a prototype has no toString, a getter or a proxy may throw):
// describing them must never throw, or the SDK would replace what the
// application threw with its own error.

export interface ErrorDetails {
  readonly type: string;
  readonly message: string;
  readonly stacktrace: string;
}

export function errorDetails(error: unknown): ErrorDetails {
  if (isError(error)) {
    const name = read(() => error.name);
    const ctor = read(() => (error as { constructor?: { name?: unknown } }).constructor?.name);
    const type = typeof name === "string" && name !== "" && name !== "Error" ? name : typeof ctor === "string" && ctor !== "" ? ctor : "Error";
    return { type, message: messageOf(error), stacktrace: stackOf(error) };
  }
  if (typeof error === "object" && error !== null && read(() => "message" in error) === true) {
    const name = read(() => (error as { name?: unknown }).name);
    return { type: typeof name === "string" ? name : "Object", message: messageOf(error), stacktrace: stackOf(error) };
  }
  return { type: error === null ? "null" : typeof error, message: safeString(error), stacktrace: "" };
}

/** What a span's status message says about a thrown value. */
export function errorMessage(error: unknown): string {
  return isError(error) ? messageOf(error) : safeString(error);
}

/** String(value), or a description that cannot throw when the value cannot be made a string. */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "(unprintable)";
    }
  }
}

function isError(error: unknown): error is Error {
  return read(() => error instanceof Error) === true;
}

function messageOf(error: object): string {
  try {
    return safeString((error as { message?: unknown }).message);
  } catch {
    return safeString(error); // the message cannot be read: describe the value itself
  }
}

function stackOf(error: object): string {
  const stack = read(() => (error as { stack?: unknown }).stack);
  return typeof stack === "string" ? stack : "";
}

function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
