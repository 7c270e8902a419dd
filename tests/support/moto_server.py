"""Run moto's server with tests/support/moto_patches.py applied (the Terraform emulator run).

    python tests/support/moto_server.py --port-file PATH [--plain-port-file PATH]
                                        [--cert CERT --key KEY] [--no-patches]

Listens on 127.0.0.1 on a free port, which it writes to --port-file once it is bound
(no race for the port between choosing it and binding it). --plain-port-file adds a
plain-HTTP listener on the same backends (the smoke checks use it to show that the
platform's policies refuse requests without TLS). With --cert and
--key it serves HTTPS only: the platform's bucket policies deny requests that are not
over TLS, and the patched moto evaluates aws:SecureTransport from the connection.
AWS managed IAM policies are loaded (MOTO_IAM_LOAD_MANAGED_POLICIES) because the
platform attaches some (ReadOnlyAccess, AWSLambdaVPCAccessExecutionRole, ...).
Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


# One lock for every listener: they share moto's backends.
_BACKENDS = threading.Lock()


def _one_request_at_a_time(app: Any) -> Any:
    """`app`, handling one request at a time. moto's backends are plain dicts and lists
    with no locking, while Terraform applies ten resources at once. A clean-clone run once
    failed with AlreadyExistsException from CreateTable on a table that only Terraform
    creates: most likely a first attempt that took effect but did not answer cleanly, and
    the provider's retry. Connections are still accepted concurrently."""

    def serialized(environ: dict[str, Any], start_response: Any) -> Any:
        with _BACKENDS:
            return list(app(environ, start_response))

    return serialized


def make_server(port: int = 0, cert: str | None = None, key: str | None = None) -> Any:
    """A werkzeug server running moto's application (the same app `moto_server` runs)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    ssl_context = (cert, key) if cert and key else None
    return werkzeug_server(
        "127.0.0.1",
        port,
        _one_request_at_a_time(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        ssl_context=ssl_context,
        request_handler=MotoRequestHandler,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True, help="write the listening port here once ready")
    parser.add_argument(
        "--plain-port-file", help="also listen on a plain-HTTP port (same backends), written here"
    )
    parser.add_argument("--cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--key", help="PEM private key of --cert")
    parser.add_argument("--no-patches", action="store_true", help="plain moto (to see what the patches fix)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    if not args.no_patches:
        sys.path.insert(0, str(REPO))
        from tests.support import moto_patches

        installed = moto_patches.apply()
        print(f"moto_patches: {', '.join(installed)}", file=sys.stderr, flush=True)

    servers = [make_server(0, args.cert, args.key)]
    if args.plain_port_file:
        servers.append(make_server(0))
        threading.Thread(target=servers[1].serve_forever, daemon=True).start()

    def stop(*_: Any) -> None:
        for s in servers:
            threading.Thread(target=s.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for server, name in zip(servers, [args.port_file, args.plain_port_file], strict=False):
        port_file = Path(name)
        port_file.with_name(port_file.name + ".tmp").write_text(str(server.server_address[1]))
        port_file.with_name(port_file.name + ".tmp").replace(port_file)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
