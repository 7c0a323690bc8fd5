// Reading and writing propagation fields on whatever carries them:
// - Node's IncomingMessage (headersDistinct: every header line kept apart),
// - header objects such as IncomingHttpHeaders or a job's plain metadata object
//   (keys matched case-insensitively; a value may be a string or an array of lines),
// - Fetch `Headers` and Maps (get/set/delete), and outgoing messages
//   (getHeader/setHeader/removeHeader),
// - other messages that keep their headers under `headers`, such as a Fetch
//   `Request` or node:http2's Http2ServerRequest: fields are read from and written
//   to those headers, never beside them (a plain object is a header object itself:
//   its `headers` key, if any, is just another field).
// HTTP header names are case-insensitive, so fields are written in lowercase.

export type Carrier = object;

/** Every value (header line) of field `name`, in order. */
export function readField(carrier: Carrier, name: string): string[] {
  const c = headersOf(carrier) as Record<string, unknown> & {
    headersDistinct?: Record<string, string[] | undefined>;
    getHeader?: (name: string) => unknown;
    get?: (name: string) => unknown;
  };
  if (c.headersDistinct !== undefined && typeof c.headersDistinct === "object") return lines(c.headersDistinct[name]);
  if (typeof c.getHeader === "function") return lines(c.getHeader(name));
  if (typeof c.get === "function" && !isPlainObject(c)) return lines(c.get(name));
  const own = c[name];
  if (own !== undefined) {
    // The usual case: a lowercase key. Other spellings of the same name are extra lines.
    const values = lines(own);
    for (const key of Object.keys(c)) if (key !== name && key.toLowerCase() === name) values.push(...lines(c[key]));
    return values;
  }
  const values: string[] = [];
  for (const key of Object.keys(c)) if (key.toLowerCase() === name) values.push(...lines(c[key]));
  return values;
}

/** Sets field `name` to `value`, replacing any other spelling of it. */
export function writeField(carrier: Carrier, name: string, value: string): void {
  const c = headersOf(carrier) as Record<string, unknown> & {
    setHeader?: (name: string, value: string) => unknown;
    set?: (name: string, value: string) => unknown;
  };
  if (typeof c.setHeader === "function") {
    c.setHeader(name, value);
    return;
  }
  if (typeof c.set === "function" && !isPlainObject(c)) {
    c.set(name, value);
    return;
  }
  for (const key of Object.keys(c)) if (key !== name && key.toLowerCase() === name) delete c[key];
  c[name] = value;
}

/** Removes field `name`, in every spelling. */
export function deleteField(carrier: Carrier, name: string): void {
  const c = headersOf(carrier) as Record<string, unknown> & {
    setHeader?: unknown;
    removeHeader?: (name: string) => unknown;
    set?: unknown;
    delete?: (name: string) => unknown;
  };
  if (typeof c.setHeader === "function") {
    if (typeof c.removeHeader === "function") c.removeHeader(name);
    return;
  }
  if (typeof c.set === "function" && !isPlainObject(c)) {
    if (typeof c.delete === "function") c.delete(name);
    return;
  }
  for (const key of Object.keys(c)) if (key.toLowerCase() === name) delete c[key];
}

/**
 * The object holding the fields: the carrier itself, or the `headers` of a message
 * that has no accessor of its own (node:http2's Http2ServerRequest, a Fetch Request).
 */
function headersOf(carrier: Carrier): object {
  const c = carrier as { headersDistinct?: unknown; getHeader?: unknown; get?: unknown; headers?: unknown };
  if (isPlainObject(carrier) || c.headersDistinct !== undefined || typeof c.getHeader === "function" || typeof c.get === "function") return carrier;
  return typeof c.headers === "object" && c.headers !== null ? c.headers : carrier;
}

function lines(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(String);
  return [String(value)];
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
