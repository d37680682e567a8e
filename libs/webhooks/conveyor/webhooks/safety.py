"""Endpoint safety: a webhook goes only to a public address, checked after DNS resolution.

A URL must be https (http only when the policy allows it), name a host and carry no
credentials. Every address its host resolves to must be public: loopback (unless the policy
allows it, for development and tests), private, link-local, multicast, reserved, unspecified,
shared (100.64.0.0/10) and cloud metadata addresses are refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOOPBACK_ALLOWED = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_DEFAULT_PORTS = {"https": 443, "http": 80}


class UnsafeEndpoint(Exception):
    """A URL, or an address its host resolves to, may not be called; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableHost(UnsafeEndpoint):
    """The host of a webhook URL does not resolve (now); at delivery time this is worth a retry."""


@dataclass(frozen=True)
class EndpointPolicy:
    """Which endpoints may be called: https only unless told otherwise; loopback if allowed."""

    require_https: bool = True
    allow_loopback: bool = False


class Target(NamedTuple):
    """A checked URL with the host and port to connect to."""

    url: str
    host: str
    port: int


def check_url(url: str, policy: EndpointPolicy) -> str:
    """Return the normalised URL, or raise UnsafeEndpoint saying what is wrong with it."""
    return parse_target(url, policy).url


def parse_target(url: str, policy: EndpointPolicy) -> Target:
    """Check a URL as check_url does and split out its host and port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    allowed = ("https",) if policy.require_https else ("https", "http")
    if scheme not in allowed:
        raise UnsafeEndpoint(
            f"the scheme must be {' or '.join(allowed)}, not {scheme or 'missing'!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise UnsafeEndpoint("the URL may not carry a user name or password")
    host, port = _host(parts), _port(parts, scheme)
    if (literal := _literal_address(host)) is not None:
        check_address(literal, policy)
    return Target(_normalised(parts, scheme=scheme, host=host, port=port), host, port)


async def resolve(host: str, port: int, policy: EndpointPolicy) -> list[str]:
    """Resolve a host to its addresses; raise UnsafeEndpoint if any of them may not be called."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableHost(f"the host {host!r} does not resolve: {error}") from error
    addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))
    if not addresses:
        raise UnresolvableHost(f"the host {host!r} resolves to no address")
    for address in addresses:
        check_address(ipaddress.ip_address(address), policy)
    return addresses


async def check_endpoint(url: str, policy: EndpointPolicy) -> None:
    """Check a URL and every address its host resolves to (what registering an endpoint calls)."""
    target = parse_target(url, policy)
    await resolve(target.host, target.port, policy)


def check_address(address: IPAddress, policy: EndpointPolicy) -> None:
    """Raise UnsafeEndpoint unless a webhook may be sent to this address under the policy."""
    judged = _embedded_ipv4(address) or address
    if policy.allow_loopback and any(judged in network for network in _LOOPBACK_ALLOWED):
        return
    if reason := _refusal(judged):
        raise UnsafeEndpoint(f"{address} is {reason}")


def _refusal(address: IPAddress) -> str:
    """What makes an address unfit for a webhook, or empty when it is a public one."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "a shared address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), "")


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64 or 6to4), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _host(parts: SplitResult) -> str:
    if not parts.hostname:
        raise UnsafeEndpoint("the URL must name a host")
    try:
        return (
            parts.hostname.encode("idna").decode("ascii")
            if not parts.hostname.isascii()
            else parts.hostname
        )
    except UnicodeError as error:
        raise UnsafeEndpoint(f"the host {parts.hostname!r} is not a valid name") from error


def _port(parts: SplitResult, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError as error:
        raise UnsafeEndpoint("the port must be a number from 1 to 65535") from error
    if port == 0:
        raise UnsafeEndpoint("the port must be a number from 1 to 65535")
    return _DEFAULT_PORTS[scheme] if port is None else port


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _normalised(parts: SplitResult, *, scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        shown += f":{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{shown}{parts.path or '/'}{query}"
