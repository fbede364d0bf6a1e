"""A loopback file server for the download figure: every GET answers one file, by ``sendfile``.

    python -m benchmarks._fileserver FILE      # prints "http://127.0.0.1:PORT" once listening

It runs in its own process and hands the bytes to the kernel (``socket.sendfile``), so the server
is never what limits a client's throughput, and costs the measured process nothing.
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    path_to_serve = ""

    def do_GET(self) -> None:
        size = os.path.getsize(self.path_to_serve)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        with open(self.path_to_serve, "rb") as f:
            self.connection.sendfile(f)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    Handler.path_to_serve = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
