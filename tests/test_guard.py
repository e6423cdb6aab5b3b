"""The address guard on every range that embeds or reaches an internal address (issue 13)."""

from __future__ import annotations

import pytest

from newsweave.errors import FetchError
from newsweave.ingest.guard import Guard, why_refused

# address -> words the reason must hold
REFUSED = {
    # 6to4 (2002::/16) embeds an IPv4 address in bits 16-48: refused, naming it when internal
    "2002:a00:1::1": "6to4 address embedding 10.0.0.1, a private address",
    "2002:7f00:1::": "6to4 address embedding 127.0.0.1, a loopback address",
    "2002:a9fe:a9fe::1": "169.254.169.254, a cloud metadata address",
    "2002:808:808::1": "a 6to4 address embedding 8.8.8.8",  # deprecated: refused outright
    # Teredo (2001::/32): server and (inverted) client IPv4 addresses
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo address embedding 192.0.2.45",
    "2001:0:808:808:0:0:f5ff:fffe": "Teredo address embedding 10.0.0.1, a private address",
    # site-local, deprecated but still routed by some stacks
    "fec0::1": "a site-local address",
    "feff:ffff::1": "a site-local address",
    # IPv4-mapped: judged as the IPv4 address it stands for
    "::ffff:10.0.0.1": "a private address",
    "::ffff:127.0.0.1": "a loopback address",
    "::ffff:169.254.169.254": "a cloud metadata address",
    # IPv4-compatible (::/96) and IPv4-translated (::ffff:0:0:0/96)
    "::127.0.0.1": "IPv4-compatible address embedding 127.0.0.1, a loopback address",
    "::8.8.8.8": "an IPv4-compatible address (deprecated) embedding 8.8.8.8",
    "::ffff:0:10.0.0.1": "IPv4-translated address embedding 10.0.0.1",
    # NAT64, well-known prefix: refused when the IPv4 address is internal
    "64:ff9b::10.0.0.1": "a NAT64 address embedding 10.0.0.1, a private address",
    "64:ff9b::127.0.0.1": "NAT64 address embedding 127.0.0.1, a loopback address",
    "64:ff9b::169.254.169.254": "a cloud metadata address",
    "64:ff9b::100.64.0.1": "embedding 100.64.0.1, a private address",
    # NAT64, local-use prefix: inside one network by definition
    "64:ff9b:1::a00:1": "a local-use NAT64 address",
    "64:ff9b:1:ffff::8.8.8.8": "a local-use NAT64 address",
    # the rest of the IANA special-purpose registries
    "::1": "a loopback address",
    "::": "not a public address",
    "100::1": "a discard-only address",
    "100:0:0:1::1": "a dummy address",
    "2001:db8::1": "private address",
    "3fff::1": "a documentation address",
    "5f00::1": "a segment-routing address",
    "fc00::1": "a private address",
    "fd00:ec2::254": "a cloud metadata address",
    "fe80::1": "a link-local address",
    "fe80::1%eth0": "a link-local address",
    "ff02::1": "not a public address",
    "0.0.0.0": "a private address",
    "0.1.2.3": "a private address",
    "10.255.255.255": "a private address",
    "100.64.0.1": "a private address",
    "100.100.100.200": "a cloud metadata address",
    "127.1.2.3": "a loopback address",
    "169.254.0.1": "a link-local address",
    "172.16.0.1": "a private address",
    "192.0.0.1": "a private address",
    "192.0.2.1": "a private address",
    "192.88.99.1": "a 6to4 relay address",
    "192.168.1.1": "a private address",
    "198.18.0.1": "a private address",
    "198.51.100.1": "a private address",
    "203.0.113.1": "a private address",
    "224.0.0.1": "not a public address",
    "240.0.0.1": "a private address",
    "255.255.255.255": "a private address",
}

PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80e::200e",
    "64:ff9b::8.8.8.8",  # NAT64 of a public address: how IPv6-only networks reach IPv4 sites
    "::ffff:8.8.8.8",  # IPv4-mapped public: the same address as 8.8.8.8
]


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED.items()))
def test_internal_and_embedding_addresses_are_refused(address: str, reason: str) -> None:
    found = why_refused(address)
    assert found is not None and reason in found, found


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert why_refused(address) is None


@pytest.mark.parametrize("address", ["2002:a00:1::1", "fec0::1", "64:ff9b::a00:1", "::7f00:1"])
def test_refused_as_literal_in_a_url_and_by_resolution(address: str) -> None:
    with pytest.raises(FetchError, match="refused") as caught:
        Guard().check_url(f"http://[{address}]/feed.xml")
    assert caught.value.code == "refused"

    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", address]  # one public, one internal: the name is refused

    with pytest.raises(FetchError, match=f"news.example \\({address}\\)"):
        Guard(resolver=resolver).addresses("news.example", 443)
    # The explicit setting still lets a literal through, as for any other refused address.
    Guard.allowing([address]).check_url(f"http://[{address}]/feed.xml")
