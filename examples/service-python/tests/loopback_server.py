"""Real HTTP servers on loopback for the tests: a server runs on its own thread
for as long as the generator is not closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer


def serve(server: ThreadingHTTPServer) -> Iterator[int]:
    """Yields the server's port while it serves; shuts it down after."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
