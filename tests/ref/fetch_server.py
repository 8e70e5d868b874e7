#!/usr/bin/env python3
"""A local HTTP server for tests/test_fetch.c (started by the test, one per
test case; never reaches the internet).

usage: fetch_server.py ROOT PORTFILE LOGFILE [LIFETIME_S]

Binds 127.0.0.1 on a free port and writes the port to PORTFILE (atomically),
logs every connection ("connect") and request ("GET /path range=...") to
LOGFILE, and exits after LIFETIME_S seconds (default 60) or when its parent
goes away. Paths are /MODE/NAME for the file ROOT/NAME, MODE one of

  ok          the file; honours "Range: bytes=A-" (206 + Content-Range)
  drop        the first request of this path sends half of what it announces
              and closes the connection; later ones are "ok"
  dropfull    the same drop, then later requests ignore Range (200, whole file)
  wrong       the file with every byte of its second half XOR 0x5a
  dropwrong   "drop" first; then a Range request gets "wrong" bytes, a
              request without Range the right file
  slow        "ok" in 64 kB pieces, 40 ms apart (overlapping fetches)
  redirect    302 to /ok/NAME
  anything else, or a missing file: 404
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORTFILE, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3]
LIFETIME = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
LOCK = threading.Lock()
SEEN = set()


def log(line):
    with LOCK, open(LOGFILE, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        rng = self.headers.get("Range")
        log("GET %s range=%s" % (self.path, rng or "-"))
        parts = self.path.split("/", 2)
        mode, name = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        path = os.path.join(ROOT, name)
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/ok/" + name)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode not in ("ok", "drop", "dropfull", "dropwrong", "wrong", "slow") or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with open(path, "rb") as f:
            data = bytearray(f.read())
        with LOCK:
            first = self.path not in SEEN
            SEEN.add(self.path)
        if mode == "wrong" or (mode == "dropwrong" and not first and rng):
            for i in range(len(data) // 2, len(data)):
                data[i] ^= 0x5A
        start = 0
        if rng and rng.startswith("bytes=") and not (mode == "dropfull" and not first):
            start = int(rng[6:].split("-")[0])
        if start >= len(data) and start > 0:
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % len(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = bytes(data[start:])
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if mode in ("drop", "dropfull", "dropwrong") and first:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "slow":
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])
                self.wfile.flush()
                time.sleep(0.04)
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that stops reading (a size limit, a killed fetch) is a
        # case under test, not a server error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)

    def verify_request(self, request, client_address):
        log("connect")
        return True


def watchdog(parent):
    t0 = time.monotonic()
    while time.monotonic() - t0 < LIFETIME and os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=watchdog, args=(os.getppid(),), daemon=True).start()
    open(LOGFILE, "a").close()
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
