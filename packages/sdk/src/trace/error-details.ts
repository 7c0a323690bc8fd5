// The type, message and stack of anything thrown: an Error (the class name when
// the instance did not set its own name), or any other value.

export interface ErrorDetails {
  readonly type: string;
  readonly message: string;
  readonly stacktrace: string;
}

export function errorDetails(error: unknown): ErrorDetails {
  if (error instanceof Error) {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    const type = error.name && error.name !== "Error" ? error.name : typeof ctor === "string" && ctor !== "" ? ctor : "Error";
    return { type, message: safeString(error.message), stacktrace: typeof error.stack === "string" ? error.stack : "" };
  }
  if (typeof error === "object" && error !== null && "message" in error) {
    const name = "name" in error && typeof error.name === "string" ? error.name : "Object";
    return { type: name, message: safeString(error.message), stacktrace: "stack" in error && typeof error.stack === "string" ? error.stack : "" };
  }
  return { type: error === null ? "null" : typeof error, message: safeString(error), stacktrace: "" };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "(unprintable)";
  }
}
