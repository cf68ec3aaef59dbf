"""Outside text echoed by the bot is inert: no masked link, autolink, mention, bidi or zero-width trick."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import inert, safe_link, strip_invisible
from tests.helpers import BOT_ID, Harness
from tests.markdown_check import live_links, live_mentions

MENTION = f"<@{BOT_ID}>"
LINKS = " ".join(f"[click {i}](http://evil{i}.example/x)" for i in range(12))
TRICKS = "\u202eevil\u202c \u2066iso\u2069 zero\u200bwidth\u200d \ufeffbom \x07bell \x1b[31mred \u2028sep"


def test_inert_neutralises_every_masked_link_however_many() -> None:
    text = inert(LINKS + " [a](<http://x.example>) [b]( http://y.example )", 2000)
    assert live_links(text) == [] and "click 11" in text


def test_inert_breaks_autolinks_mentions_and_timestamps() -> None:
    text = inert("see http://evil.example or <https://evil.example> <@123> <@&4> <#5> @everyone <t:1:R>")
    assert live_links(text) == [] and live_mentions(text) == []


def test_invisible_and_control_characters_are_removed() -> None:
    clean = strip_invisible(TRICKS)
    assert not any(ch in clean for ch in "\u202e\u202c\u2066\u2069\u200b\u200d\ufeff\x07\x1b\u2028")
    assert "evil" in clean and "zerowidth" in clean


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["[", "]", "(", ")", "<", ">", "http://e.example", "@", "everyone", "\\",
                                 " ", "a", "`", "*", "\u202e", "\u200b", ":", "/"]), max_size=60))
def test_no_combination_of_markup_characters_forms_a_link_or_mention(parts: list[str]) -> None:
    text = inert("".join(parts), 500)
    assert live_links(text) == [] and live_mentions(text) == []
    assert "\u202e" not in text and "\u200b" not in text


@pytest.mark.parametrize(("link", "expected"), [
    ("https://news.example/a?b=1#c", "https://news.example/a?b=1#c"),
    ("http://news.example/4> [Free Nitro](http://evil.example) <x", None),
    ("http://news.example/4>[Nitro](http://evil.example)", "http://news.example/4%3E%5BNitro%5D%28http://evil.example%29"),
    ("javascript:alert(1)", None),
    ("ftp://files.example/x", None),
    ("http://user@evil.example/", None),
    ("http://news.example/\u202egnp.exe", None),
    ("http:///nohost", None),
    ("http://localhost/x", None),
    ("https://news.example:99999/", None),
    ("", None),
])
def test_feed_links_are_posted_only_when_well_formed(link: str, expected: str | None) -> None:
    assert safe_link(link) == expected
    if expected:
        assert live_links(f"<{expected}>") == [expected]  # one link, exactly the URL: nothing escapes <...>


async def test_a_declined_question_full_of_links_is_echoed_inert(harness: Harness) -> None:
    question = f"{LINKS} {TRICKS} <@{BOT_ID + 5}> @everyone"
    (reply,) = await harness.message(f"{MENTION} {question}", mentions=(BOT_ID,))
    content = reply.json["content"]
    assert content.startswith("I can't answer")
    assert live_links(content) == [], content
    assert live_mentions(content) == [], content
    assert not any(ch in content for ch in "\u202e\u2066\u200b\ufeff\x07\x1b")
    assert reply.json["allowed_mentions"] == {"parse": []}
