"""Feed URLs from Discord may reach only the public internet: checked after DNS and after every redirect.

A URL is http(s) with a host; every address its host resolves to must be public (not loopback, private,
link-local, multicast, reserved, unspecified...) unless config.yaml allows its network. The check runs
in the HTTP client's own resolver, so the addresses checked are the addresses connected to (no DNS
rebinding between the check and the connection), and redirects are followed one at a time by the caller.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_CHARS = 2000


class UnsafeURL(Exception):
    """A feed URL the bot refuses to fetch, with why in one line."""


def _kind(address: IPAddress) -> str | None:
    """Why an address is not public ('loopback', 'private'...), or None for a public address."""
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    for kind, flag in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("site-local", site_local), ("reserved", address.is_reserved),
                       ("private", address.is_private)):
        if flag:
            return kind
    return None if address.is_global else "non-public"


class AddressPolicy:
    """Which addresses feeds may reach: public ones, plus the networks config.yaml allows explicitly."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.allowed = tuple(ipaddress.ip_network(net, strict=False) for net in allowed)

    def refusal(self, address: str) -> str | None:
        """Why the bot will not connect to this address, or None when it may."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address} is not an IP address"
        if any(ip in net for net in self.allowed):
            return None
        inner = (ip.ipv4_mapped or ip.sixtofour) if isinstance(ip, ipaddress.IPv6Address) else None
        if inner is not None:  # ::ffff:a.b.c.d, and 6to4's 2002:aabb:ccdd::, reach a.b.c.d: judge that
            if any(inner in net for net in self.allowed):
                return None
            ip = inner
        kind = _kind(ip)
        return None if kind is None else f"{address} is a {kind} address"

    def check_url(self, url: str) -> str:
        """The URL's host, if it is http(s) with a host, no credentials and (if literal) an allowed IP."""
        if len(url) > MAX_URL_CHARS:
            raise UnsafeURL(f"the URL is longer than {MAX_URL_CHARS} characters")
        try:
            parts = urlsplit(url)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:
            raise UnsafeURL(f"not a valid URL: {exc}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise UnsafeURL("only http:// and https:// URLs are allowed")
        if not host:
            raise UnsafeURL("the URL has no host")
        if parts.username or parts.password:
            raise UnsafeURL("URLs with a user name or password are not allowed")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host
        reason = self.refusal(host)
        if reason:
            raise UnsafeURL(f"{reason}; feeds may only reach public addresses")
        return host

    async def resolve(self, host: str) -> list[str]:
        """Every address the host resolves to, each allowed; else UnsafeURL naming the first refused one."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeURL(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.refusal(address)
            if reason:
                raise UnsafeURL(f"{host} resolves to {reason}; feeds may only reach public addresses")
        return addresses

    async def check(self, url: str) -> None:
        """Check a URL before anything is fetched: its form, then every address its host resolves to."""
        host = self.check_url(url)
        await self.resolve(host)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing any host that resolves to an address the policy refuses.

    Connections go only to the addresses returned here, so what was checked is what is reached.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """Resolve, then refuse the host if any of its addresses is refused (OSError: a connection error)."""
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = self.policy.refusal(result["host"])
            if reason:
                raise OSError(f"{host} resolves to {reason}; feeds may only reach public addresses")
        return results

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()
