"""Run moto's AWS API server on 127.0.0.1: the local AWS for the tests and the demo.

Usage: python scripts/local_aws.py [--port N]   (0 picks a free port)
Prints ``ready http://127.0.0.1:PORT`` on stdout once it answers, then serves until
terminated. Extensions that close moto gaps we hit are registered in ``EXTENSIONS``
below, each with the reason; none is needed yet.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
import urllib.request

EXTENSIONS: list = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import ThreadedMotoServer

    for extension in EXTENSIONS:
        extension()
    port = args.port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                print("ERROR: moto server did not answer within 30 s", file=sys.stderr)
                return 1
            time.sleep(0.1)
    print(f"ready {url}", flush=True)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
