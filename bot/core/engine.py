"""Question -> what the bot says: a sourced fact, a decline, a choice, small talk, or the horizon."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.core.answer import Answer, Kind
from bot.core.matching.decision import DecisionModel, Verdict
from bot.core.matching.features import FeatureReader
from bot.core.matching.horizon import HorizonReader
from bot.core.matching.index import Doc, DocKind, FactIndex, Neighbours
from bot.core.matching.intake import is_not_a_question, strip_numbering
from bot.core.matching.lexicon import Analysis, Lexicon
from bot.core.matching.phrases import PhraseSet
from bot.core.matching.smalltalk import SmallTalkReader
from bot.core.matching.tokens import tokenize
from bot.core.model import Fact, KnowledgeBase
from bot.core.replies import Replies, Said
from bot.core.settings import EngineSettings
from bot.core.text import clean_user_text, normalise_question

log = logging.getLogger(__name__)
CANDIDATES = 5  # facts the decision model weighs for one question
LATER_NEIGHBOUR = 0.6  # a declined question this close to one about later events gets the horizon reply


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact that may answer the question: P(right), and the features the model weighed."""

    fact: Fact
    probability: float
    features: dict[str, float]


@dataclass(frozen=True, slots=True)
class Reading:
    """A message read: either already answered by a rule (small talk, horizon...) or matched for the model."""

    question: str
    text: str
    answer: Answer | None = None
    analysis: Analysis | None = None
    neighbours: Neighbours | None = None
    features: tuple[tuple[Fact, dict[str, float]], ...] = ()
    now: bool = False  # the question asks about the present


class Engine:
    """Matches questions against a KnowledgeBase through examples, vocabulary, typos and intent."""

    def __init__(self, kb: KnowledgeBase, settings: EngineSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or EngineSettings()
        aliases = {p.id: (p.name, *p.aliases) for p in kb.participants.values()}
        self.lexicon = Lexicon(kb.vocabulary, aliases)
        facts = list(kb.facts.values())
        for fact in facts:
            self.lexicon.add_known(
                t for text in (fact.question, fact.answer, *fact.keywords) for t in tokenize(text)
            )
        # What names a fact's subject: a person by name; a tariff record by its rate ('the 24% one').
        subjects = {p.fact.id: p.id for p in kb.participants.values()}
        subjects |= {t.fact.id: f"{t.rate:g}" for t in kb.tariffs if t.rate is not None}
        entities = kb.vocabulary.entities | set(kb.participants)
        self.index = FactIndex(
            facts,
            kb.decline_groups(),
            self.lexicon,
            subjects,
            kb.vocabulary.broader,
            frozenset(entities),
            kb.asked,
        )
        self.model = kb.decision
        self.threshold = (
            self.settings.answer_threshold
            if self.settings.answer_threshold is not None
            else self.model.threshold
        )
        self.replies = Replies(kb.conversation, kb.horizon)
        self.horizon = HorizonReader(kb.conversation, kb.horizon)
        self.opinions = PhraseSet(kb.conversation.opinion_phrases)
        self.not_opinions = PhraseSet(kb.conversation.opinion_exceptions)
        self.smalltalk = SmallTalkReader(
            kb.smalltalk,
            kb.vocabulary.stopwords | frozenset(kb.conversation.smalltalk_filler),
            kb.conversation.smalltalk_addressees,
        )

    def prepare(self, question: str) -> str:
        """The text that is matched: cleaned, cut to size, without a leading question number."""
        return strip_numbering(clean_user_text(question, self.settings.max_question_chars))

    def analyse(self, question: str) -> Analysis:
        """The concepts and intents the engine reads in a question (for debugging and tests)."""
        return self.lexicon.analyse(self.prepare(question))

    def read(self, question: str) -> Reading:
        """Everything before the decision: rules for what is no question, small talk, opinions and later
        events; otherwise the candidate facts with their features."""
        text = self.prepare(question)
        if is_not_a_question(text):
            return Reading(
                question, text, self._say(question, Kind.DECLINE, self.replies.off_topic(), noise=True)
            )
        tokens = self.lexicon.tokens(text)
        talk, opening = self.smalltalk.read(tokens, self.lexicon.is_ignored)
        if talk is not None:
            said = self.replies.smalltalk(talk)
            return Reading(question, text, self._say(question, Kind.SMALLTALK, said, smalltalk=talk.id))
        tokens = tokens[opening:]  # 'good morning team, …': not the question
        analysis = self.lexicon.analyse_tokens(tokens)
        if not self.index.knows_any(analysis.terms):
            said = self.replies.off_topic()
            return Reading(question, text, self._say(question, Kind.DECLINE, said, noise=not analysis.terms))
        near = self.index.neighbours(analysis)
        examples, coverage = near.examples, near.coverage
        score = {i: examples.get(i, 0.0) + coverage.get(i, 0.0) for i in examples.keys() | coverage.keys()}
        top = sorted(sorted(score), key=score.__getitem__, reverse=True)  # best first, then by number
        features_of = FeatureReader(self.index, analysis, near)
        features = tuple((self.index.facts[i], features_of(i)) for i in top[:CANDIDATES])
        reading = Reading(question, text, None, analysis, near, features, self.horizon.asks_now(tokens))
        if self.opinions.occurs(tokens) and not self.not_opinions.occurs(tokens):  # 'is trump right…'?
            opinion = self._offer(reading, Kind.DECLINE, self.replies.opinion, self.candidates(reading))
            return replace(reading, answer=opinion)
        if self.horizon.is_later(text, tokens):
            return replace(reading, answer=self._horizon(reading, self.candidates(reading)))
        return reading

    def candidates(self, reading: Reading, model: DecisionModel | None = None) -> list[Candidate]:
        """The candidate facts with P(right) under the model, best first."""
        model = model or self.model
        scored = [Candidate(fact, model.probability(f), f) for fact, f in reading.features]
        scored.sort(key=lambda c: (-c.probability, c.fact.id))
        return scored

    def decide(
        self, reading: Reading, model: DecisionModel | None = None, threshold: float | None = None
    ) -> Answer:
        """Answer, decline (with "did you mean"), or ask which fact was meant."""
        if reading.answer is not None:
            return reading.answer
        model = model or self.model
        candidates = self.candidates(reading, model)
        curated = self.index.exact.get(normalise_question(reading.text))
        verdict, best, confidence = self._verdict(candidates, curated, model, threshold)
        if verdict is Verdict.ANSWER and best is not None:
            as_of = self.replies.as_of(best.fact, reading.now)
            said = self.replies.answer(best.fact, as_of)
            fields = {"fact": best.fact, "as_of": as_of, "now": reading.now}
            return self._say(reading.question, Kind.ANSWER, said, candidates, confidence, **fields)
        if verdict is Verdict.AMBIGUOUS:
            choices = (candidates[0].fact, candidates[1].fact)
            said = self.replies.ambiguous(choices)
            return self._say(
                reading.question, Kind.AMBIGUOUS, said, candidates, confidence, suggested=choices
            )
        return self._decline(reading, candidates, curated, confidence)

    def _verdict(
        self,
        candidates: list[Candidate],
        curated: Doc | None,
        model: DecisionModel,
        threshold: float | None,
    ) -> tuple[Verdict, Candidate | None, float]:
        """The model's verdict on the best candidate and its confidence; a question written word for word
        as a curated one is decided by the data (an example: its fact; a gap or decline: never answered)."""
        if curated is not None and curated.kind is DocKind.EXAMPLE:
            fact = self.index.facts[curated.owner]
            return (
                Verdict.ANSWER,
                next((c for c in candidates if c.fact is fact), Candidate(fact, 1.0, {})),
                1.0,
            )
        if not candidates:
            return Verdict.DECLINE, None, 0.0
        best, runner_up = candidates[0], candidates[1].probability if len(candidates) > 1 else 0.0
        confidence = model.answer_probability(best.features, best.probability, runner_up)
        if curated is not None:
            return Verdict.DECLINE, best, confidence
        threshold = self.threshold if threshold is None else threshold
        return (
            model.verdict(confidence, best.probability, runner_up, best.features, threshold),
            best,
            confidence,
        )

    def _decline(
        self, reading: Reading, candidates: list[Candidate], curated: Doc | None, confidence: float
    ) -> Answer:
        """'I can't answer that…' with the near facts; the horizon reply for a question about later events."""
        later = (
            curated is not None
            and curated.kind is DocKind.DECLINE
            and self.index.declines[curated.owner].reason == "later"
        )
        if later or (reading.neighbours is not None and self.later_neighbour(reading.neighbours)):
            return self._horizon(reading, candidates, confidence)
        nearby = self._suggestions(candidates)
        if curated is not None and curated.kind is DocKind.GAP:  # the fact it is a near miss of comes first
            fact = self.index.facts[curated.owner]
            nearby = (fact, *(f for f in nearby if f is not fact))[: self.settings.max_suggestions]
        said = self.replies.decline(nearby)
        return self._say(reading.question, Kind.DECLINE, said, candidates, confidence, suggested=nearby)

    def ask(self, question: str) -> Answer:
        """What the bot says to one message."""
        return self.decide(self.read(question))

    def answer_for(self, fact: Fact) -> Answer:
        """The answer stating one given fact: a "did you mean" choice the user picked."""
        as_of = self.replies.as_of(fact, now=False)
        said = self.replies.answer(fact, as_of)
        return Answer(fact.question, Kind.ANSWER, said.text, said.lead, fact, 1.0, nearest=fact, as_of=as_of)

    def _horizon(self, reading: Reading, candidates: list[Candidate], confidence: float = 0.0) -> Answer:
        """'My sources end on …', offering what the articles do say nearby."""
        return self._offer(reading, Kind.HORIZON, self.replies.horizon_reply, candidates, confidence)

    def _offer(
        self,
        reading: Reading,
        kind: Kind,
        reply: Callable[[Sequence[Fact]], Said],
        candidates: list[Candidate],
        confidence: float = 0.0,
    ) -> Answer:
        """A reply that answers nothing (`reply` builds its words), offering what the articles say nearby."""
        nearby = self._suggestions(candidates)
        return self._say(reading.question, kind, reply(nearby), candidates, confidence, suggested=nearby)

    @staticmethod
    def _say(
        question: str,
        kind: Kind,
        said: Said,
        candidates: list[Candidate] | None = None,
        confidence: float = 0.0,
        **fields: Any,
    ) -> Answer:
        """An Answer with the reply's words, and the best candidate kept for curators."""
        best = candidates[0] if candidates else None
        return Answer(
            question,
            kind,
            said.text,
            said.lead,
            confidence=confidence,
            nearest=best.fact if best else None,
            **fields,
        )

    def _suggestions(self, candidates: list[Candidate]) -> tuple[Fact, ...]:
        """'Did you mean' facts: candidates whose example or body comes close to the question."""
        close = [
            c.fact
            for c in candidates
            if c.features["entity"]
            and max(c.features["example"], c.features["gap"], c.features["coverage"])
            >= self.settings.suggestion_threshold
        ]
        return tuple(close[: self.settings.max_suggestions])

    def later_neighbour(self, near: Neighbours) -> bool:
        """True when the closest known question is one about events after the horizon."""
        group = near.decline_group
        best_example = max(near.examples.values(), default=0.0)
        return (
            group is not None
            and self.index.declines[group].reason == "later"
            and near.decline >= max(best_example, LATER_NEIGHBOUR)
        )
