"""Endpoint rules: which URLs and which resolved addresses a webhook may go to."""

from __future__ import annotations

import pytest

from conveyor.webhooks.safety import (
    EndpointPolicy,
    UnresolvableHost,
    UnsafeEndpoint,
    check_endpoint,
    check_url,
    resolve,
)

PRODUCTION = EndpointPolicy()
DEVELOPMENT = EndpointPolicy(require_https=False, allow_loopback=True)

REFUSED_ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.10.10", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("100.64.0.1", "shared"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("192.0.2.10", "private"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "metadata"),
    ("2002:a00:1::", "private"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED_ADDRESSES)
async def test_a_non_public_address_is_refused_after_resolution(address: str, reason: str) -> None:
    with pytest.raises(UnsafeEndpoint, match=reason):
        await resolve(address, 443, PRODUCTION)


@pytest.mark.parametrize(("address", "reason"), REFUSED_ADDRESSES)
def test_a_non_public_literal_address_in_a_url_is_refused(address: str, reason: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeEndpoint, match=reason):
        check_url(f"https://{host}/hook", PRODUCTION)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
async def test_a_public_address_is_allowed(address: str) -> None:
    assert await resolve(address, 443, PRODUCTION) == [address]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
async def test_allowing_loopback_allows_loopback(address: str) -> None:
    assert await resolve(address, 8080, DEVELOPMENT) == [address]


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "169.254.169.254", "fd00:ec2::254", "0.0.0.0", "100.64.0.1"]
)
async def test_allowing_loopback_allows_nothing_else(address: str) -> None:
    with pytest.raises(UnsafeEndpoint):
        await resolve(address, 8080, DEVELOPMENT)


async def test_localhost_is_judged_by_the_addresses_it_resolves_to() -> None:
    assert check_url("https://localhost/hook", PRODUCTION) == "https://localhost/hook"
    with pytest.raises(UnsafeEndpoint, match="loopback"):
        await check_endpoint("https://localhost/hook", PRODUCTION)
    await check_endpoint("http://localhost:8080/hook", DEVELOPMENT)


async def test_a_host_that_does_not_resolve_is_refused_as_unresolvable() -> None:
    with pytest.raises(UnresolvableHost, match="does not resolve"):
        await check_endpoint("https://no-such-host.invalid/hook", PRODUCTION)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hook", "scheme must be https"),
        ("ftp://example.com/hook", "scheme must be https"),
        ("example.com/hook", "scheme must be https"),
        ("https:///hook", "must name a host"),
        ("https://user:secret@example.com/hook", "user name or password"),
        ("https://token@example.com/hook", "user name or password"),
        ("https://example.com:0/hook", "port"),
        ("https://example.com:65536/hook", "port"),
        ("https://example.com:http/hook", "port"),
    ],
)
def test_a_bad_url_is_refused_with_its_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeEndpoint, match=reason):
        check_url(url, PRODUCTION)


def test_http_is_allowed_only_when_https_is_not_required() -> None:
    relaxed = EndpointPolicy(require_https=False)
    assert check_url("http://example.com/hook", relaxed) == "http://example.com/hook"
    with pytest.raises(UnsafeEndpoint, match="scheme must be https or http"):
        check_url("ftp://example.com/hook", relaxed)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://example.com:443/a?b=1#frag", "https://example.com/a?b=1"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("  https://bücher.example/hook ", "https://xn--bcher-kva.example/hook"),
        ("https://[2606:4700:4700::1111]:444/", "https://[2606:4700:4700::1111]:444/"),
    ],
)
def test_a_good_url_comes_back_normalised(url: str, normalised: str) -> None:
    assert check_url(url, PRODUCTION) == normalised
