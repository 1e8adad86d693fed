"""``python -m newsprov.cli.labelstudio_server``: a Label Studio server for annotators on
this machine (``scripts/labelstudio_server.sh``), kept running until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path

from newsprov.annotate.labelstudio.server import HOST, Server
from newsprov.core.layout import LABELSTUDIO_DATA_DIR


def main(argv: list[str] | None = None) -> int:
    """Start a server for annotators and keep it running until Ctrl-C."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data-dir", type=Path, default=LABELSTUDIO_DATA_DIR,
                        help="where the server keeps its database and uploads "
                             "(default: %(default)s)")
    parser.add_argument("--port", type=int, default=8080)
    arguments = parser.parse_args(argv)
    data_dir = arguments.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex((HOST, arguments.port)) == 0:
            print(f"error: port {arguments.port} on {HOST} is in use; choose another with "
                  "--port", file=sys.stderr)
            return 1
    first_start = not (data_dir / "label_studio.sqlite3").exists()
    print(f"Starting Label Studio on {HOST}:{arguments.port} (data: {data_dir})"
          + (": the first start sets up the database and takes about a minute." if first_start
             else "."), flush=True)
    for number in (signal.SIGINT, signal.SIGTERM):  # SIGINT may be ignored when backgrounded
        signal.signal(number, _interrupt)
    server = Server(data_dir, arguments.port)
    try:
        server.start()
        print(f"""
Label Studio is running. Open {server.url} in a browser on this machine
(it listens on {HOST} only). On the first visit, sign up: the first account is the
administrator. For `newsprov ls-sync`, copy your access token from Account & Settings and
  export LABEL_STUDIO_URL={server.url}
  export LABEL_STUDIO_API_KEY=<your token>
Press Ctrl-C to stop the server.""", flush=True)
        assert server.process is not None
        return server.process.wait()  # it stopped by itself: pass on its status
    except KeyboardInterrupt:
        print("\nStopping Label Studio ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
