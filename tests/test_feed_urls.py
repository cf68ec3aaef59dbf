"""Feed URLs from Discord reach only public addresses: checked before fetching, after DNS and after every
redirect, unless config.yaml allows a network. No request ever leaves this machine: refused addresses are
refused before any connection, and the only server is on 127.0.0.1."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from bot.core.loader import load_knowledge
from bot.core.settings import UpdateSettings
from bot.core.updates.feeds import FeedPoller, FeedSource
from bot.core.updates.netguard import AddressPolicy, GuardedResolver, UnsafeURL
from bot.core.updates.records import ServerFeed
from bot.core.updates.relevance import RelevanceIndex
from tests.test_feed_flood import rss
from tests.updates_support import KNOWLEDGE, Clock, local_server, open_store


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "non-public"),
    ("240.0.0.1", "reserved"), ("fc00::1", "private"),
])
def test_non_public_addresses_are_refused(address, kind):
    assert AddressPolicy().refusal(address) == f"{address} is a {kind} address"


@pytest.mark.parametrize(("address", "kind"), [
    ("2002:7f00:1::", "loopback"), ("2002:a00:1::1", "private"), ("2002:a9fe:a9fe::", "link-local"),
    ("fec0::1", "site-local"),
])
def test_ipv6_forms_that_reach_a_non_public_address_are_refused(address, kind):
    """6to4 (2002::/16) carries an IPv4 address that the host's 6to4 tunnel sends to; site-local is not
    public either."""
    assert AddressPolicy().refusal(address) == f"{address} is a {kind} address"
    assert AddressPolicy().refusal("2002:5db8:d822::1") is None  # 6to4 of a public address: public


def test_public_addresses_and_allowed_networks_pass():
    assert AddressPolicy().refusal("93.184.216.34") is None
    assert AddressPolicy().refusal("2606:2800:220:1:248:1893:25c8:1946") is None
    allowed = AddressPolicy(["127.0.0.0/8", "10.20.0.0/16"])
    assert allowed.refusal("127.0.0.1") is None and allowed.refusal("10.20.3.4") is None
    assert allowed.refusal("::ffff:10.20.3.4") is None
    assert allowed.refusal("10.21.0.1") == "10.21.0.1 is a private address"


@pytest.mark.parametrize(("url", "error"), [
    ("ftp://example.com/feed", "only http:// and https://"), ("file:///etc/passwd", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"), ("https:///nohost", "no host"),
    ("https://user:pw@example.com/", "user name or password"), ("http://127.0.0.1/rss", "loopback"),
    ("http://[::1]:8080/rss", "loopback"), ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::ffff:192.168.0.1]/", "private"), ("https://example.com:99999/", "not a valid URL"),
    ("https://example.com/" + "a" * 2100, "longer than 2000"),
])
def test_bad_urls_are_refused_before_anything_is_fetched(url, error):
    with pytest.raises(UnsafeURL, match=error):
        AddressPolicy().check_url(url)


async def test_a_host_is_checked_after_dns_resolution():
    with pytest.raises(UnsafeURL, match=r"localhost resolves to .* loopback address"):
        await AddressPolicy().check("http://localhost:1/feed")
    with pytest.raises(OSError, match="loopback"):
        await GuardedResolver(AddressPolicy()).resolve("localhost", 80)
    assert await AddressPolicy(["127.0.0.0/8", "::1/128"]).resolve("localhost")


class Redirector:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.base = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path_qs)
        port = request.url.port
        targets = {"/to-private": f"http://127.0.0.2:{port}/rss", "/to-rss": "/rss",
                   "/to-metadata": "http://169.254.169.254/latest/meta-data/"}
        if request.path in targets:
            raise web.HTTPFound(targets[request.path])
        return web.Response(text=rss([("Akazawa and Bessent discuss tariffs on Japanese cars", 1)]),
                            content_type="application/rss+xml")


@pytest.fixture
async def redirector():
    srv = Redirector()
    async with local_server(srv.handle) as srv.base:
        yield srv


async def poll(tmp_path, url: str, allowed: tuple[str, ...]):
    store = await open_store(tmp_path / "urls.sqlite3")
    settings = UpdateSettings(feed_timeout_seconds=2, feed_allowed_networks=allowed)
    poller = FeedPoller(store, settings, lambda: RelevanceIndex(load_knowledge(KNOWLEDGE)), clock=Clock())
    feed = ServerFeed(1, 10, "wire", url, 0, 5, "")
    try:
        return await poller.poll(FeedSource.of_server(feed, settings), force=True)
    finally:
        await poller.close()
        await store.close()


async def test_loopback_is_refused_by_default_and_allowed_when_config_says_so(tmp_path, redirector):
    refused = await poll(tmp_path, redirector.base + "/rss", ())
    assert refused.status == "failed" and "127.0.0.1 is a loopback address" in refused.error
    assert redirector.hits == []  # refused before any request
    allowed = await poll(tmp_path, redirector.base + "/rss", ("127.0.0.1/32",))
    assert allowed.status == "ok" and allowed.items == 1 and redirector.hits == ["/rss"]


@pytest.mark.parametrize(("path", "error"), [
    ("/to-private", "127.0.0.2 is a loopback address"),
    ("/to-metadata", "169.254.169.254 is a link-local address"),
])
async def test_a_redirect_to_a_private_address_is_refused(tmp_path, redirector, path, error):
    result = await poll(tmp_path, redirector.base + path, ("127.0.0.1/32",))
    assert result.status == "failed" and error in result.error
    assert redirector.hits == [path]  # the redirect's target was never requested


async def test_the_connection_goes_only_to_checked_addresses(tmp_path, redirector):
    port = redirector.base.rsplit(":", 1)[1]
    result = await poll(tmp_path, f"http://localhost:{port}/rss", ())  # a name: checked by the resolver
    assert result.status == "failed" and "localhost resolves to" in result.error
    assert "loopback" in result.error
    assert redirector.hits == []


async def test_a_redirect_to_an_allowed_address_is_followed(tmp_path, redirector):
    result = await poll(tmp_path, redirector.base + "/to-rss", ("127.0.0.1/32",))
    assert result.status == "ok" and redirector.hits == ["/to-rss", "/rss"]


async def test_a_servers_feed_has_the_servers_size_cap(tmp_path, redirector):
    store = await open_store(tmp_path / "cap.sqlite3")
    settings = UpdateSettings(feed_timeout_seconds=2, feed_allowed_networks=("127.0.0.1/32",),
                              server_feed_max_bytes=100)
    poller = FeedPoller(store, settings, lambda: RelevanceIndex(load_knowledge(KNOWLEDGE)), clock=Clock())
    feed = ServerFeed(1, 10, "wire", redirector.base + "/rss", 0, 5, "")
    try:
        result = await poller.poll(FeedSource.of_server(feed, settings), force=True)
    finally:
        await poller.close()
        await store.close()
    # the body's size varies by a byte or two (its link holds hash(title), randomised per run)
    assert result.status == "failed"
    assert re.fullmatch(r"too large: 2\d\d bytes \(cap 100\)", result.error or ""), result.error
