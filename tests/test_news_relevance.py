"""News relevance: about the Japan–US trade talks, not about every story naming tariffs, Trump or rice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import UpdateSettings
from bot.core.model import KnowledgeBase
from bot.core.updates.feeds import FeedItem, news_update
from bot.core.updates.messages import MAX_MESSAGE_CHARS, plain, render_digest
from bot.core.updates.relevance import RelevanceIndex

NEWS = Path(__file__).parent / "data" / "news"
DEFAULT_THRESHOLD = UpdateSettings().relevance_threshold
# Floors for the labelled sets (precision, recall at the default threshold). All were written blind.
# news_a was first run on the old filter (precision 0.558, recall 0.989), then shaped the rule; news_b
# was first run on the finished rule (precision 0.952, recall 0.889), then refined it; news_c was first
# run at the end (precision 0.968, recall 0.968) and changed nothing (README).
FLOORS = {"news_a.yaml": (0.97, 0.98), "news_b.yaml": (0.97, 0.90), "news_c.yaml": (0.95, 0.95)}


@pytest.fixture(scope="module")
def index(kb: KnowledgeBase) -> RelevanceIndex:
    return RelevanceIndex(kb)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Akazawa heads to Washington for third round of tariff talks", ""),
        ("Toyota cuts profit forecast as U.S. auto tariffs bite", "The carmaker expects a $1.2 billion hit."),
        ("Tokyo offers to buy more American corn to win tariff relief", ""),
        ("Ishiba and Trump discuss tariffs in phone call", "The leaders agreed to keep talking."),
        ("Japan's chief negotiator meets Bessent again", "Akazawa and Bessent met for two hours."),
        ("Bessent says a trade deal with Japan is close", ""),
        ("Japanese automakers brace for 25% duty as talks with Washington drag", ""),
        ("USTR Greer: talks with Tokyo on reciprocal tariffs 'productive'", ""),
    ],
)
def test_stories_about_the_japan_us_talks_are_relevant(
    index: RelevanceIndex, title: str, summary: str
) -> None:
    relevance = index.score(title, summary)
    assert relevance.score >= DEFAULT_THRESHOLD, relevance.reason
    assert relevance.reason.startswith("mentions ")


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("US raises tariffs on Chinese steel to 50%", "Beijing vows to retaliate."),
        ("EU and US strike trade deal on cars", "Brussels agrees to cut duties on American vehicles."),
        ("Canada slaps counter-tariffs on US goods", ""),
        ("Rice prices soar in Japan", "Shoppers face record prices for the staple."),
        ("Bessent says Treasury auctions are going smoothly", "Yields fell after the 10-year sale."),
        ("Lutnick defends chip export controls", "The commerce secretary spoke in Congress."),
        (
            "South Korea seals tariff deal with Washington",
            "Seoul will invest $350 billion, similar to Japan.",
        ),
        ("US beats Japan at volleyball", "A five-set thriller in the Nations League."),
        ("US and Japan hold joint military drills", "Troops trained near Okinawa."),
        ("Yen falls against the dollar", "Traders eye the Bank of Japan."),
        ("Japan and China agree to expand trade", ""),
        ("Trump threatens Mexico with new tariffs", ""),
        ("Toyota launches new RAV4", "The hybrid goes on sale in Japan this autumn."),
    ],
)
def test_near_misses_are_not(index: RelevanceIndex, title: str, summary: str) -> None:
    relevance = index.score(title, summary)
    assert relevance.score < DEFAULT_THRESHOLD, relevance.reason


def test_reasons_name_what_made_the_item_relevant_in_plain_words(index: RelevanceIndex) -> None:
    assert index.score("Akazawa presses Washington on the auto tariff").reason == (
        "mentions Akazawa, Washington and tariffs"
    )
    assert index.score("US beats Japan at volleyball").reason == "about sport, not trade"
    assert (
        index.score("South Korea seals tariff deal with Washington").reason == "about South Korea, not Japan"
    )
    assert index.score("China hits back at US tariffs").reason == "about China, not Japan"
    bonds = index.score("Bessent says Treasury bond yields are stable")
    assert bonds.reason == "about bond markets, not trade"
    assert index.score("Rice prices soar in Japan").reason == "does not mention the US"


def test_topics_route_the_item(index: RelevanceIndex) -> None:
    cars = index.score("Toyota cuts forecast as US auto tariffs bite")
    assert set(cars.topics) == {"news", "autos", "tariffs"}
    crops = index.score("Tokyo to buy more US soybeans and corn in trade deal")
    assert {"news", "agriculture"} <= set(crops.topics) and "autos" not in crops.topics
    people = index.score("Akazawa meets Greer in Washington")
    assert {"news", "participants", "schedule"} <= set(people.topics)


def test_a_full_digest_shortens_summaries_never_the_reasons(index: RelevanceIndex) -> None:
    texts = []
    for n in range(10):
        item = FeedItem(
            title=f"Akazawa and Bessent hold tariff talks, day {n} " + "x" * 150,
            link=f"https://news.example/{n}",
            guid=f"g{n}",
            summary="A summary. " * 40,
        )
        texts.append(news_update("wire", item, index.score(item.title, item.summary)).text)
    digest = render_digest(texts, "abc")
    assert len(digest) <= MAX_MESSAGE_CHARS
    assert digest.count("(wire; mentions Akazawa, Bessent and the talks)") == 10
    assert digest.count("A summary.") < 10 * 40


@pytest.mark.parametrize(("name", "floor"), FLOORS.items())
def test_labelled_news_sets_stay_above_their_floors(
    index: RelevanceIndex, name: str, floor: tuple[float, float]
) -> None:
    items = yaml.safe_load((NEWS / name).read_text(encoding="utf-8"))["items"]
    assert len(items) >= 200
    posted = [
        it
        for it in items
        if index.score(plain(it["title"]), plain(it.get("summary"))).score >= DEFAULT_THRESHOLD
    ]
    right = sum(1 for it in posted if it["relevant"])
    relevant = sum(1 for it in items if it["relevant"])
    precision, recall = right / max(len(posted), 1), right / relevant
    assert precision >= floor[0] and recall >= floor[1], (precision, recall)
