// A database URL for messages and logs, without its password.

/**
 * Masks everything from the first ":" of the user part to the last "@" of the URL. Not the
 * password the URL parser finds: with an unencoded @ # / or ? in it ("p@ss#w0rd") the parser
 * ends it early, and the rest of it was printed. The last "@" lies after any password (the
 * client reads none past it), so nothing of it is shown: at worst, with an "@" in a parameter,
 * the host is masked too.
 */
export function redactDatabaseUrl(url: string): string {
  const start = url.indexOf("://");
  if (start === -1) return "the DATABASE_URL (not a URL)";
  const rest = url.slice(start + 3);
  const at = rest.lastIndexOf("@");
  if (at === -1) return url;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon === -1) return url; // a user name, no password
  return `${url.slice(0, start + 3)}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
}
