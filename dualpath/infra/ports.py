from __future__ import annotations

import socket

from dualpath.infra.errors import SetupError


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free(host: str, port: int, what: str, setting: str) -> None:
    if not port_is_free(host, port):
        raise SetupError(
            f"port {port} on {host} is in use, so {what} cannot start: stop whatever "
            f"holds it (`ss -ltnp 'sport = :{port}'`) or set {setting} to another port"
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
