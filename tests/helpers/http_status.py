#!/usr/bin/env python3
"""Test helper: an HTTP server on 127.0.0.1 that answers every request with
one status (e.g. 401, as a registry that refuses the credentials). Prints its
port on stdout; writes every Authorization header it saw to the file given
(so a test can check credentials were sent); exits after 60 seconds.
Usage: http_status.py STATUS LOGFILE"""
import http.server
import sys
import threading

STATUS = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length", 0) or 0)
        if n:
            self.rfile.read(n)
        with open(sys.argv[2], "a") as f:
            f.write(f"{self.command} {self.path} auth={self.headers.get('Authorization', '-')}\n")
        body = b'{"error_code": %d, "message": "refused"}' % STATUS
        self.send_response(STATUS)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Timer(60, server.shutdown).start()
server.serve_forever()
