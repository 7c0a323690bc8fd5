"""Real HTTP servers on loopback for the tests: a server runs on its own thread
for as long as the generator is not closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve(server: ThreadingHTTPServer) -> Iterator[int]:
    """Yields the server's port while it serves; shuts it down after."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """A next service's handler: logs nothing, and answers 200 with `{}` when asked to."""

    def answer_empty_json(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass
