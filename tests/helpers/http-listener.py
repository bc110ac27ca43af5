#!/usr/bin/env python3
"""Test helper: a one-shot HTTP listener on 127.0.0.1. Prints its port on
stdout, stores the body of the first POST in the file given as argument,
answers 200, and exits. Exits by itself after 180 seconds in any case (a slow copy may notify late)."""
import http.server
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "wb") as f:
            f.write(body)
        self.send_response(200)
        self.end_headers()
        threading.Thread(target=self.server.shutdown).start()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
# a daemon: the process ends when the first POST has shut the server down
# (a plain timer kept it alive for the whole time, and the test waits for it)
timer = threading.Timer(180, server.shutdown)
timer.daemon = True
timer.start()
server.serve_forever()
