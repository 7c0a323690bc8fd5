/** host:port, with an IPv6 host in brackets as URLs and gRPC targets need it. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
