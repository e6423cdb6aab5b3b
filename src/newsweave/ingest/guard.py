"""Which addresses newsweave may fetch: public http(s) only, unless a host is allowed by name.

The check runs where the connection is made (a network backend under httpx), on the address
the name resolved to, so it holds for every redirect and a name cannot resolve to a public
address when checked and a private one when connected (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from newsweave.errors import FetchError

SCHEMES = ("http", "https")

# Cloud metadata services answer on these; they are refused even where a range is allowed.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}

Resolver = Callable[[str, int], Sequence[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address host resolves to, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A network from its text."""
    return ipaddress.ip_network(text)


# Forms of IPv6 address that carry an IPv4 address, and where they carry it.
_COMPATIBLE = _net("::/96")  # deprecated (RFC 4291): ::a.b.c.d
_TRANSLATED = _net("::ffff:0:0:0/96")  # SIIT (RFC 2765): ::ffff:0:a.b.c.d
_NAT64 = _net("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
_LOW_32 = ((_COMPATIBLE, "an IPv4-compatible"), (_TRANSLATED, "an IPv4-translated"))

# Ranges refused whatever they embed, named; checked before the ipaddress module's is_global,
# whose lists differ between Python releases and miss some (3.11 calls fec0::1 global).
# Deprecated transition forms (IPv4-compatible, SIIT, 6to4, Teredo) are refused even when
# the IPv4 address in them is public: no news site is served from one, and where a packet
# to one goes depends on relays out of our sight. NAT64 (64:ff9b::/96) is not among them:
# DNS64 networks give such an address for every IPv4-only site, so it is judged by its IPv4.
_REFUSED_V6 = (
    (_COMPATIBLE, "an IPv4-compatible address (deprecated)"),
    (_TRANSLATED, "an IPv4-translated address"),
    (_net("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_net("100::/64"), "a discard-only address"),
    (_net("100:0:0:1::/64"), "a dummy address"),
    (_net("2001::/32"), "a Teredo address"),
    (_net("2002::/16"), "a 6to4 address"),
    (_net("3fff::/20"), "a documentation address"),
    (_net("5f00::/16"), "a segment-routing address"),
    (_net("fec0::/10"), "a site-local address"),
)
_REFUSED_V4 = (
    (_net("100.64.0.0/10"), "a private address"),  # carrier-grade NAT: inside a network
    (_net("192.88.99.0/24"), "a 6to4 relay address"),  # deprecated anycast to any relay
)


def _embedded(ip: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]]:
    """The kind of IPv6 address and the IPv4 addresses it embeds ("", [] if none)."""
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64:
        return "a NAT64", [low]
    for network, kind in _LOW_32:
        if ip in network:
            return kind, [low]
    if ip.sixtofour is not None:
        return "a 6to4", [ip.sixtofour]
    if ip.teredo is not None:
        return "a Teredo", list(ip.teredo)  # the Teredo server, then the client
    return "", []


def _why_refused_v4(ip: ipaddress.IPv4Address) -> str | None:
    """Why an IPv4 address is not public, or None if it is."""
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    for network, reason in _REFUSED_V4:
        if ip in network:
            return reason
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return None


def why_refused(address: str) -> str | None:
    """Why an IP address is not public, or None if it is.

    An IPv4-mapped address is judged as the IPv4 address it stands for; another IPv6 address
    that embeds an IPv4 one is refused when that IPv4 address would be, the reason naming it.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _why_refused_v4(ip)
    if ip.ipv4_mapped is not None:
        return _why_refused_v4(ip.ipv4_mapped)
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "not a public address"
    kind, inner = _embedded(ip)
    for embedded in inner:
        reason = _why_refused_v4(embedded)
        if reason is not None:
            return f"{kind} address embedding {embedded}, {reason}"
    for network, reason in _REFUSED_V6:
        if ip in network:
            return f"{reason} embedding {', '.join(map(str, inner))}" if inner else reason
    if ip in _NAT64:
        return None  # the IPv4 address it embeds is public (checked above)
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class Guard:
    """The fetch policy: public addresses only, plus the hosts the user allowed by name."""

    allow_hosts: frozenset[str] = frozenset()
    resolver: Resolver = resolve

    @classmethod
    def allowing(cls, hosts: Iterable[str], resolver: Resolver = resolve) -> Guard:
        """A guard that also lets through these host names or addresses."""
        return cls(frozenset(h.strip().lower().strip("[]") for h in hosts if h.strip()), resolver)

    def check_url(self, url: str) -> None:
        """Refuse a url whose scheme is not http(s) or whose host is a refused literal address."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise FetchError("refused", f"{url!r}: only http and https are fetched")
        if not parts.hostname:
            raise FetchError("refused", f"{url!r}: no host")
        if parts.username or parts.password:
            raise FetchError("refused", f"{url!r}: credentials in URLs are not sent")
        host = parts.hostname.lower()
        if host in self.allow_hosts:
            return
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return  # a name: checked on the address it resolves to, when connecting
        self._check_address(host, host)

    def _check_address(self, host: str, address: str) -> None:
        """Refuse an address that is not public unless its host or itself is allowed."""
        reason = why_refused(address)
        if reason is not None and address.lower() not in self.allow_hosts:
            shown = address if host == address else f"{host} ({address})"
            # The code says "refused"; the message says why and how to allow it, once.
            raise FetchError(
                "refused",
                f"{shown} is {reason}, fetched only if allowed by name (allow_hosts)",
            )

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for host, each checked; raises FetchError if none may be."""
        host = host.lower().strip("[]")
        found = self.resolver(host, port)
        if not found:
            raise FetchError("dns", f"cannot resolve {host}: no addresses")
        if host in self.allow_hosts:
            return list(found)
        # Every address is checked, not just the first: a name with one public and one
        # private address could otherwise be steered to the private one.
        for address in found:
            self._check_address(host, address)
        return list(found)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the guard allows, resolving names itself."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve host, check every address, then connect to the first that answers."""
        addresses = await anyio.to_thread.run_sync(self._guard.addresses, host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never used for fetching."""
        raise FetchError("refused", "a unix socket connection is never made")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the inner backend does."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guard's network backend under its connection pool."""

    def __init__(self, guard: Guard, *, max_connections: int = 20) -> None:
        super().__init__(trust_env=False)
        # httpx 0.28 builds its pool without a way to pass a network backend; the pool is
        # rebuilt here with the same settings plus the guard (httpx is pinned in pyproject).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=_GuardedBackend(guard),
        )
