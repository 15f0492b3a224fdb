"""Trusted proxies: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from known addresses.

rhizo is served behind a TLS-terminating reverse proxy (nginx, Caddy) by
default. The proxy tells the application who the client was
(``X-Forwarded-For``) and whether the client spoke HTTPS
(``X-Forwarded-Proto``). Any client can send those headers too, so they are
believed only when the TCP peer is one of ``RHIZO_TRUSTED_PROXIES`` (comma-
separated addresses or CIDR networks; default ``127.0.0.1,::1``, a proxy on
the same host; empty: trust nobody). From anyone else they are ignored and the
peer address is the client.

With a trusted peer, the client is the right-most ``X-Forwarded-For`` hop that
is not itself a trusted proxy (each proxy appends the address it saw, so the
hops left of an untrusted one are the client's own claims); a hop that is not
an IP address leaves the peer as the client. ``X-Forwarded-Proto`` ``https``
or ``http`` sets the request's scheme (so cookies get ``Secure`` and HSTS is
sent). The result replaces the ASGI ``client`` and ``scheme``, which every
part of the app reads (the audit trail's ``ip``, the session cookie); uvicorn's
own proxy handling is switched off by ``rhizo serve`` so this is the only one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.1.0/24, ::1"`` -> networks; ValueError naming a bad entry."""
    networks: list[Network] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"RHIZO_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network "
                "(such as '127.0.0.1', '10.0.0.0/8' or '::1'; comma-separated; empty: none)"
            ) from None
    return tuple(networks)


class ProxySettings(BaseSettings):
    """``RHIZO_TRUSTED_PROXIES``: the proxies whose forwarding headers are believed."""

    model_config = SettingsConfigDict(env_prefix="RHIZO_", extra="ignore")

    trusted_proxies: str = DEFAULT_TRUSTED_PROXIES

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @property
    def networks(self) -> tuple[Network, ...]:
        """The trusted networks (validated)."""
        return parse_trusted_proxies(self.trusted_proxies)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(host: str | None, networks: Sequence[Network]) -> bool:
    """Whether ``host`` (an address string) lies in one of ``networks``."""
    address = _address(host) if host else None
    return address is not None and any(address in network for network in networks)


def forwarded_client(forwarded_for: str, networks: Sequence[Network]) -> str | None:
    """The client address from an ``X-Forwarded-For`` chain (see the module docstring)."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None
        if not any(address in network for network in networks):
            return str(address)
    return str(_address(hops[0])) if hops else None


class TrustedProxyMiddleware:
    """Set the ASGI ``client`` and ``scheme`` from forwarding headers of trusted peers only."""

    def __init__(self, app: ASGIApp, *, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else None
            if self.networks and is_trusted(peer, self.networks):
                scope = self._forwarded(scope)
        await self.app(scope, receive, send)

    def _forwarded(self, scope: Scope) -> Scope:
        forwarded_for: list[str] = []
        proto: str | None = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        scope = dict(scope)
        if forwarded_for:
            host = forwarded_client(",".join(forwarded_for), self.networks)
            if host is not None:
                scope["client"] = (host, 0)
        if proto in ("http", "https"):
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if proto == "https" else "ws"
            else:
                scope["scheme"] = proto
        return scope
