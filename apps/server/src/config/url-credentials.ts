// Credentials in a URL the server sends to (OTLP_ENDPOINT, ALERT_WEBHOOK_URL:
// https://user:pass@collector/v1/traces): sent as HTTP Basic authorization and kept
// out of the URL. Left in, Node's fetch refuses the URL (every request fails),
// grpc-js ignores them without a word, and the URL is logged, password and all.

/** The URL without its user name and password, and those as an authorization header value (none when it had none). */
export function takeUrlCredentials(url: URL): { readonly url: URL; readonly authorization?: string } | "malformed" {
  if (url.username === "" && url.password === "") return { url };
  let credentials: string;
  try {
    // Percent-decoded: a '@' or ':' in a password can only be written encoded.
    credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    return "malformed";
  }
  const bare = new URL(url);
  bare.username = "";
  bare.password = "";
  return { url: bare, authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` };
}

/** `raw` for a message, whatever looks like user:password@ before the host replaced: the URL may not parse, or not as one with credentials. */
export function withoutUserinfo(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, "$1***@");
}
