"""A threading HTTP server that can wait for its running requests on the way out.

ThreadingHTTPServer runs each request on a daemon thread, so exiting the process
cuts those requests off mid-way (their spans stay RUNNING, their clients get a
dropped connection). Its non-daemon mode waits instead, but without a bound.
"""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any


class DrainingHTTPServer(ThreadingHTTPServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight = 0
        self._idle = threading.Condition()

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        # Counted here, on the serving thread, so a request accepted just before the stop
        # is already counted when drain() looks.
        with self._idle:
            self._in_flight += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def drain(self, timeout_s: float) -> bool:
        """Waits up to timeout_s for the running requests; True when none is left.

        Call after serve_forever has returned, so no new request starts meanwhile.
        """
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout_s)
