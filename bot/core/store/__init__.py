"""The SQLite store: the only package in the project that contains SQL, one module per concern."""

from bot.core.store.database import StoreError
from bot.core.store.feeds import FeedQueries
from bot.core.store.health import HealthQueries
from bot.core.store.knowledge import KnowledgeQueries
from bot.core.store.questions import DeclinedQuestion, QuestionQueries, Vote, VoteSummary
from bot.core.store.servers import FeedLimit, ServerQueries, ServerSettings
from bot.core.store.subscriptions import SubscriptionQueries


class Store(QuestionQueries, SubscriptionQueries, FeedQueries, KnowledgeQueries, ServerQueries,
            HealthQueries):
    """Every query of the bot and the command line, on one connection (see the section modules)."""


__all__ = ["DeclinedQuestion", "FeedLimit", "ServerSettings", "Store", "StoreError", "Vote", "VoteSummary"]
