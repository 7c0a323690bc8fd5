// Checks DATABASE_URL as the PostgreSQL client (postgres.js 3.4, its parseUrl and
// parseOptions) reads it, so that a URL it cannot use stops the server at start-up
// with a message naming the variable, rather than "Invalid URL", "URI malformed" or a
// connection to a host that is a piece of the password.
//
// A message never quotes the URL or a part of it: with an unencoded / ? or # in the
// password, what reads as the host, the port or the database name is the password's.

const ENCODE = "percent-encode @ # / ? % : in the user name and password (%40 %23 %2F %3F %25 %3A)";
const SHAPE = "postgres://user:password@host:5432/database";

/** What is wrong with the URL, for one line of the configuration error; undefined when nothing. */
export function databaseUrlProblem(url: string): string | undefined {
  const scheme = /^postgres(?:ql)?:\/\//.exec(url);
  if (!scheme) return `DATABASE_URL must start with postgres:// or postgresql:// (got ${JSON.stringify(url.split(":")[0] + ":...")})`;
  // A PostgreSQL URL has no fragment: a # is one in a password, and the URL parser ends the
  // authority there ("p@ss#w0rd" made "ss" the host).
  if (url.includes("#")) return `DATABASE_URL holds a "#", which ends a URL's address part: ${ENCODE}`;
  const rest = url.slice(scheme[0].length);
  const authority = rest.split(/[/?]/)[0]!;
  const afterAuthority = rest.slice(authority.length);
  const [pathPart = "", query = ""] = afterAuthority.split(/\?(.*)/s);
  // An @ after the host: a / or ? in the password ended the address early, and the rest of
  // the password became the host.
  if (pathPart.includes("@") || query.split("&").some((pair) => pair.split("=")[0]!.includes("@"))) {
    return `DATABASE_URL holds an "@" after its host (in the database name or a parameter name): a "/" or "?" in the password ends the address part; ${ENCODE}`;
  }
  const at = authority.lastIndexOf("@");
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const parts: Array<[string, string]> = [["user name", colon === -1 ? userinfo : userinfo.slice(0, colon)]];
    if (colon !== -1) parts.push(["password", userinfo.slice(colon + 1)]);
    for (const [what, text] of parts) {
      if (!decodes(text)) return `DATABASE_URL's ${what} has a "%" that does not start a %XX escape (write % itself as %25): ${ENCODE}`;
    }
  }
  // postgres.js takes the host list after the first @ (the URL parser after the last).
  const hostText = authority.slice(authority.indexOf("@") + 1);
  if (!decodes(hostText)) return `DATABASE_URL's host has a "%" that does not start a %XX escape: ${ENCODE}`;
  if (authority === "") return undefined; // postgres:///db: PGHOST or localhost, as libpq
  const hosts = hostText.includes(",") ? hostText.split(",") : [authority.slice(at + 1)];
  for (const hostPort of hosts) {
    if (hostPort.startsWith("[")) {
      return `DATABASE_URL's host is an IPv6 address in brackets, which the PostgreSQL client (postgres.js) cannot connect to: use a host name for it`;
    }
    if (hostPort.includes("@")) return `DATABASE_URL has an "@" in a host of its list: ${ENCODE}`;
    const [host = "", port] = hostPort.split(/:(.*)/s);
    if (host === "") return `DATABASE_URL names no host, or an empty one in its list (${SHAPE})`;
    if (port !== undefined && port !== "" && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
      return `DATABASE_URL's port is not a whole number from 1 to 65535 (${SHAPE}); an unencoded / ? or # in the password makes part of it read as the port: ${ENCODE}`;
    }
  }
  // What else the client's parser refuses (a space or | in the host, say).
  try {
    const host = decodeURIComponent(hostText);
    new URL(url.replace(host, host.split(",")[0]!));
  } catch {
    return `DATABASE_URL is not a URL the PostgreSQL client can read (${SHAPE}); ${ENCODE}`;
  }
  return undefined;
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
