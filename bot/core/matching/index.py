"""Concept postings over the fact base: example questions, gaps, decline groups and fact bodies."""

from __future__ import annotations

import math
import operator
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from bot.core.matching.lexicon import Analysis, Lexicon
from bot.core.model import AskedSet, DeclineGroup, Fact
from bot.core.text import normalise_question

# How strongly a fact's body holds a concept, by where the concept appears in the fact.
KEYWORD, TITLE, SUBJECT, ABOUT, ANSWER, QUOTE = 1.0, 1.0, 1.0, 0.8, 0.7, 0.4
# A fact holding only the broader concept ('usa' for 'washington') matches at this fraction.
BROADER = 0.9
# Question intents that change what a right answer is; they take part in matching as terms ('which'
# asks for a list or an identity, so it matches too, but facts are not required to answer it).
STRONG_INTENTS = frozenset({"who", "when", "clock", "duration", "amount", "why", "where"})
MATCHED_INTENTS = STRONG_INTENTS | {"list"}
INTENT_WEIGHT = 1.5  # the weight of an intent term: about that of a concept in half the facts
# Words an indexed question has that the asked one lacks count this much against the match (Tversky):
# a little for an example (the asker may leave words out), fully for a gap or a decline question, whose
# extra words are exactly what makes it a different question.
EXTRA = {0: 0.5, 1: 1.0, 2: 1.0}
# A word that is no vocabulary concept weighs less the more common it is in English: from this Zipf
# frequency on, down to ORDINARY_FLOOR of its weight ('go', 'after' weigh little; 'married' a lot).
ORDINARY_FROM, ORDINARY_SPAN, ORDINARY_FLOOR = 3.5, 2.5, 0.3
# A word at least this common (Zipf) weighs at most like a concept found in half the facts.
COMMON_WORD_ZIPF, COMMON_WORD_IDF = 4.0, 1.0
BAYES_ALPHA = 0.5  # Laplace smoothing of the naive Bayes term counts
# Indexed questions below this similarity are not scored (they are never a close neighbour).
SIMILARITY_FLOOR = 0.45
# A word in more fact bodies than this adds no new candidates once rarer words have found some.
SCAN_LIMIT = 5_000


def intent_term(intent: str) -> str:
    """The pseudo-term an intent is matched by ('?who')."""
    return "?" + intent


class DocKind(IntEnum):
    """What a short indexed question is: a way to ask for a fact, a near miss of it, or a decline."""

    EXAMPLE = 0
    GAP = 1
    DECLINE = 2


@dataclass(frozen=True, slots=True)
class Doc:
    """One indexed question: its owner (a fact, or a decline group), kind and weighted terms."""

    owner: int
    kind: DocKind
    text: str
    terms: frozenset[str]
    weight: float
    extra: float  # how much its words the question lacks count against the match (EXTRA of its kind)


@dataclass(slots=True)
class Neighbours:
    """What a question is closest to: per fact its best example and gap, and the best decline group."""

    weights: dict[str, float]
    total: float
    unknown: float
    examples: dict[int, float]
    example_text: dict[int, str]
    off_topic: float  # share of the question's weight in terms no fact holds (unknown, or only declines)
    recall: dict[int, float]  # share of the question the best example holds
    precision: dict[int, float]  # share of the best example the question holds
    gaps: dict[int, float]
    decline: float
    decline_group: int | None
    coverage: dict[int, float]
    top_examples: tuple[tuple[int, float], tuple[int, float]]  # the two closest facts: (number, similarity)
    bayes: dict[int, float]  # naive Bayes P(fact | question), for facts whose examples hold a question term


def _two_best(scores: dict[int, float]) -> tuple[tuple[int, float], tuple[int, float]]:
    """The two highest (key, score) pairs, padded with (-1, 0.0)."""
    best = sorted(scores.items(), key=operator.itemgetter(1), reverse=True)[:2]  # stable, as heapq.nlargest
    best += [(-1, 0.0)] * (2 - len(best))
    return best[0], best[1]


_EXAMPLE, _GAP = DocKind.EXAMPLE, DocKind.GAP
_LEAST_EXTRA = min(EXTRA.values())
_NONE: frozenset[int] = frozenset()


class FactIndex:
    """Postings from concepts to example questions and fact bodies, with idf weights."""

    def __init__(
        self,
        facts: Sequence[Fact],
        declines: Sequence[DeclineGroup],
        lexicon: Lexicon,
        subjects: Mapping[str, str],
        broader: Mapping[str, str],
        entities: frozenset[str],
        asked: Sequence[AskedSet] = (),
    ) -> None:
        """`asked`: the labelled sets' questions (knowledge/asked.yaml), indexed as more examples of the
        facts that answer them (their questions to decline are among `declines`)."""
        self.facts = list(facts)
        more: dict[str, list[str]] = defaultdict(list)
        self.origins: dict[str, str] = {}  # where each asked example is written, for problem reports
        for a in asked:
            for fact_id, questions in a.answers.items():
                more[fact_id] += questions
                self.origins.update(dict.fromkeys(questions, f"{a.file}: {a.id}"))
        self.declines = list(declines)
        self.lexicon = lexicon
        self.broader = dict(broader)
        self.entities = entities
        self.subjects = [subjects.get(f.id) for f in self.facts]
        self.subject_ids = frozenset(subjects.values())
        self.strengths = [
            self._strengths(f, subject) for f, subject in zip(self.facts, self.subjects, strict=True)
        ]
        raw_docs: list[tuple[int, DocKind, str, frozenset[str]]] = []
        for i, fact in enumerate(self.facts):
            raw_docs += [
                (i, DocKind.EXAMPLE, q, self.question_terms(q))
                for q in (fact.question, *fact.examples, *more.get(fact.id, ()))
            ]
            raw_docs += [(i, DocKind.GAP, q, self.question_terms(q)) for q in fact.gaps]
        for g, group in enumerate(self.declines):
            raw_docs += [(g, DocKind.DECLINE, q, self.question_terms(q)) for q in group.examples]
        # Every term a fact holds anywhere (body or examples): what the fact can be asked about.
        self.fact_terms: list[set[str]] = [set(st) for st in self.strengths]
        for owner, kind, _, terms in raw_docs:
            if kind is DocKind.EXAMPLE:
                self.fact_terms[owner].update(terms)
        self.on_topic: frozenset[str] = frozenset().union(*self.fact_terms)
        # Document frequency: a fact (body, examples and gaps) or a decline group is one unit.
        units: dict[tuple[bool, int], set[str]] = defaultdict(set)
        for i, strengths in enumerate(self.strengths):
            units[False, i].update(t for t, s in strengths.items() if s >= ANSWER)
        for owner, kind, _, terms in raw_docs:
            units[kind == DocKind.DECLINE, owner].update(terms)
        frequency: dict[str, int] = defaultdict(int)
        for held in units.values():
            for term in held:
                frequency[term] += 1
        n = max(len(units), 1)
        self.rarest = math.log(1 + n)
        self.idf = {t: self._weigh(t, math.log(1 + n / df)) for t, df in frequency.items()}
        for intent in MATCHED_INTENTS:
            self.idf[intent_term(intent)] = INTENT_WEIGHT
        # Questions of one owner and kind that read the same share one entry (the exact lookup keeps all).
        unique: dict[tuple[int, DocKind, frozenset[str]], Doc] = {}
        texts: dict[str, Doc] = {}
        for owner, kind, text, terms in raw_docs:
            doc = unique.setdefault(
                (owner, kind, terms), Doc(owner, kind, text, terms, self._weight(terms), EXTRA[kind])
            )
            texts.setdefault(normalise_question(text), doc)
        # By weight, lightest first: a question first met late in the posting loop can reach the floor only if
        # it is light enough, and those are a prefix of every posting list (see _shared).
        self.docs = sorted(unique.values(), key=operator.attrgetter("weight"))
        self.doc_weights = [doc.weight for doc in self.docs]
        postings: dict[str, list[int]] = defaultdict(list)
        for d, doc in enumerate(self.docs):
            for term in doc.terms:
                postings[term].append(d)
        self.postings = dict(postings)
        # A question written exactly as a curated one (after normalising) is that one: the data decides.
        self.exact = texts
        self._fit_bayes()
        self.posting_sets = {t: frozenset(p) for t, p in self.postings.items()}
        # Per term with a broader concept: the indexed questions holding that concept but not the term.
        self.wide_postings = {
            term: [d for d in self.postings.get(wide, ()) if term not in self.docs[d].terms]
            for term, wide in self.broader.items()
        }
        self.wide_sets = {term: frozenset(p) for term, p in self.wide_postings.items()}
        # Each indexed question as a flat row (weight, extra, owner, kind) for the similarity loop.
        self.rows = [(doc.weight, doc.extra, doc.owner, doc.kind) for doc in self.docs]
        body: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, strengths in enumerate(self.strengths):
            for term, strength in strengths.items():
                body[term].append((i, strength))
        self.body = dict(body)
        # Per term, the facts whose body holds it or (a little weaker) its broader concept, and how strongly.
        self.reach = {term: self._reach(term) for term in self.body.keys() | self.broader.keys()}
        self.crowded = frozenset(t for t, p in self.body.items() if len(p) > SCAN_LIMIT)

    def _fit_bayes(self) -> None:
        """Naive Bayes over the example questions, one class per fact, Laplace-smoothed and stored sparsely:
        log P(term | fact) = base[fact] + lift[term].get(fact, 0), where base is the log-probability of an
        unseen term and lift is log(1 + count / alpha) for the facts whose examples hold the term."""
        counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        totals = [0] * len(self.facts)
        for doc in self.docs:
            if doc.kind is DocKind.EXAMPLE:
                for term in doc.terms:
                    counts[term][doc.owner] += 1
                totals[doc.owner] += len(doc.terms)
        vocabulary = len(self.idf) + 1
        self.bayes_base = [math.log(BAYES_ALPHA / (total + BAYES_ALPHA * vocabulary)) for total in totals]
        base_counts = Counter(self.bayes_base)  # facts of equal size share a base: few distinct
        lift = {
            term: {c: math.log(1 + n / BAYES_ALPHA) for c, n in by_fact.items()}
            for term, by_fact in counts.items()
        }
        # What the posterior reads per question, worked out here: each term's evidence weight, and its lift
        # scaled by it; the distinct bases, how many facts have each, and which one each fact has.
        self.bayes_evidence = {term: self.specificity(term) for term in lift}
        self.bayes_scaled = {
            term: {c: self.bayes_evidence[term] * value for c, value in by_fact.items()}
            for term, by_fact in lift.items()
        }
        self.bayes_bases = tuple(base_counts)
        self.bayes_base_sizes = tuple(base_counts.values())
        slot = {b: k for k, b in enumerate(self.bayes_bases)}
        self.bayes_base_slot = [slot[b] for b in self.bayes_base]

    def posterior(self, weights: dict[str, float]) -> dict[int, float]:
        """P(fact | question terms) (uniform prior) for the facts whose examples hold a question term; each
        term's evidence weighs as much as the word is specific. Facts holding none share the rest."""
        known = self.bayes_evidence
        evidence = [t for t in weights if t in known]
        if not evidence:
            return {}
        total = sum([known[t] for t in evidence])
        scores = dict(self.bayes_scaled[evidence[0]])
        get = scores.get
        for term in evidence[1:]:
            for c, lift in self.bayes_scaled[term].items():
                scores[c] = get(c, 0.0) + lift
        base = self.bayes_base
        logits = {c: total * base[c] + lift for c, lift in scores.items()}
        top = max(logits.values())
        shares = [math.exp(total * b - top) for b in self.bayes_bases]  # one per distinct base
        unseen = sum(map(operator.mul, self.bayes_base_sizes, shares))
        slot = self.bayes_base_slot
        unseen -= sum([shares[slot[c]] for c in logits])
        shifted = [math.exp(v - top) for v in logits.values()]
        norm = sum(shifted) + max(unseen, 0.0)
        return dict(zip(logits, [value / norm for value in shifted], strict=True))

    def question_terms(self, text: str) -> frozenset[str]:
        """The terms a question is matched by: its concepts and the strong intents it asks."""
        analysis = self.lexicon.analyse(text)
        return frozenset(analysis.terms) | {intent_term(i) for i in analysis.intents & MATCHED_INTENTS}

    def _weigh(self, term: str, idf: float) -> float:
        """A term's weight: its idf, but a common English word ('put', 'due') is not topical just because
        the fact base rarely uses it: its idf is capped, then lowered the more ordinary the word is."""
        if self.lexicon.commonness(term) >= COMMON_WORD_ZIPF:
            idf = min(idf, COMMON_WORD_IDF)
        return idf * self.specificity(term)

    def specificity(self, term: str) -> float:
        """1 for a vocabulary concept or a rare word, less for an ordinary English word."""
        zipf = self.lexicon.commonness(term)
        return 1.0 - (1.0 - ORDINARY_FLOOR) * min(max((zipf - ORDINARY_FROM) / ORDINARY_SPAN, 0.0), 1.0)

    def _weight(self, terms: Iterable[str]) -> float:
        return sum(self.idf.get(t, self.rarest) for t in terms)

    def _strengths(self, fact: Fact, subject: str | None) -> dict[str, float]:
        strengths: dict[str, float] = {}

        def add(texts: Iterable[str], strength: float) -> None:
            for text in texts:
                for term in self.lexicon.analyse(text, repair=False).terms:
                    if strengths.get(term, 0.0) < strength:
                        strengths[term] = strength

        add([c.quote for c in fact.citations], QUOTE)
        add([fact.answer], ANSWER)
        for entity in fact.about:
            strengths[entity] = max(strengths.get(entity, 0.0), ABOUT)
        add(fact.keywords, KEYWORD)
        add([fact.question], TITLE)
        if subject:
            strengths[subject] = SUBJECT
        return strengths

    def conflicts(self) -> list[str]:
        """Indexed questions the matcher cannot tell apart, as `file: entry: reason` lines: an example that
        reads as nothing, a gap or decline question that reads exactly like an example, or one example
        read the same way for two facts."""
        problems = []
        examples: dict[frozenset[str], Doc] = {}
        for doc in self.docs:
            if doc.kind is DocKind.EXAMPLE:
                fact = self.facts[doc.owner]
                first = examples.setdefault(doc.terms, doc)
                where = self.origins.get(doc.text, f"{fact.file}: {fact.id}")  # curated, or asked.yaml
                if not doc.terms:
                    problems.append(f"{where}: example {doc.text!r} has no word the matcher uses")
                elif first.owner != doc.owner:
                    other = self.facts[first.owner].id
                    problems.append(
                        f"{where}: example {doc.text!r} of {fact.id} reads the same as example "
                        f"{first.text!r} of {other} ({', '.join(sorted(doc.terms))})"
                    )
        for doc in self.docs:
            twin = examples.get(doc.terms) if doc.kind is not DocKind.EXAMPLE else None
            if twin is not None:
                file, owner = (
                    (self.facts[doc.owner].file, self.facts[doc.owner].id)
                    if doc.kind is DocKind.GAP
                    else (self.declines[doc.owner].file, self.declines[doc.owner].id)
                )
                kind, fact_id = doc.kind.name.lower(), self.facts[twin.owner].id
                problems.append(
                    f"{file}: {owner}: {kind} question {doc.text!r} reads the same as example "
                    f"{twin.text!r} of {fact_id} ({', '.join(sorted(doc.terms))})"
                )
        return problems

    def knows_any(self, terms: Iterable[str]) -> bool:
        """True when some fact, example or decline group holds one of the terms."""
        return not self.idf.keys().isdisjoint(terms)

    def term_weights(self, analysis: Analysis) -> dict[str, float]:
        """Each question term's weight: its idf, or for a word nothing holds, less the more ordinary it is."""
        weights = {}
        for term in analysis.terms:
            weights[term] = self.idf[term] if term in self.idf else self._weigh(term, self.rarest)
        for intent in analysis.intents & MATCHED_INTENTS:
            weights[intent_term(intent)] = self.idf[intent_term(intent)]
        return weights

    def strength(self, i: int, term: str) -> float:
        """How strongly fact i's body holds a term, or (a little weaker) its broader concept."""
        strength = self.strengths[i].get(term, 0.0)
        wide = self.broader.get(term)
        return max(strength, BROADER * self.strengths[i].get(wide, 0.0)) if wide else strength

    def neighbours(self, analysis: Analysis) -> Neighbours:
        """Similarity of the question to every example, gap and decline question sharing a term."""
        weights = self.term_weights(analysis)
        total = sum(weights.values())
        unknown = sum(w for t, w in weights.items() if t not in self.idf)
        off_topic = sum(w for t, w in weights.items() if t not in self.on_topic and not t.startswith("?"))
        order = sorted(weights, key=weights.__getitem__, reverse=True)  # heaviest first
        examples: dict[int, float] = {}
        closest: dict[int, tuple[int, float]] = {}  # per fact: its closest example, and the weight shared
        gaps: dict[int, float] = {}
        decline, decline_group = 0.0, None
        rows, floor = self.rows, SIMILARITY_FLOOR * total
        for d, common in self._shared(weights, order, total).items():
            if common < floor:
                continue  # cannot reach the floor whatever the question's other words
            weight, extra_share, owner, kind = rows[d]
            extra = weight - common
            similarity = common / (total + extra_share * extra) if extra > 0 else common / total
            if similarity < SIMILARITY_FLOOR:
                continue
            if kind is _EXAMPLE:
                if similarity > examples.get(owner, 0.0):
                    examples[owner] = similarity
                    closest[owner] = d, common
            elif kind is _GAP:
                if similarity > gaps.get(owner, 0.0):
                    gaps[owner] = similarity
            elif similarity > decline:
                decline, decline_group = similarity, owner
        topical = {t: w for t, w in weights.items() if not t.startswith("?")}
        return Neighbours(
            weights,
            total,
            unknown,
            examples,
            {owner: self.docs[d].text for owner, (d, _) in closest.items()},
            off_topic / total if total else 1.0,
            {owner: common / total for owner, (_, common) in closest.items()},
            {owner: min(common / rows[d][0], 1.0) for owner, (d, common) in closest.items()},
            gaps,
            decline,
            decline_group,
            self._coverage(topical, [t for t in order if t in topical]),
            _two_best(examples),
            self.posterior(weights),
        )

    def _shared(self, weights: dict[str, float], order: list[str], total: float) -> dict[int, float]:
        """Per indexed question that may reach SIMILARITY_FLOOR, the weight it shares with the question,
        terms taken in `order` (heaviest first). Max-score pruning: a question first met at a term shares
        at most the weight of the terms still to come, and its own words the question lacks count against
        it; so, term by term, only questions light enough are taken in (a prefix of the posting list, as
        the questions are numbered by weight), and once no unseen question can reach the floor, terms only
        add to questions already found."""
        shared: dict[int, float] = {}
        remaining = total
        for term in order:
            weight = weights[term]
            steps = [(self.postings.get(term, ()), self.posting_sets.get(term, _NONE), weight)]
            if term in self.wide_postings:  # its broader concept, in questions lacking the term itself
                steps.append((self.wide_postings[term], self.wide_sets[term], BROADER * weight))
            found = remaining >= SIMILARITY_FLOOR * total
            if found:
                # The heaviest an unseen question may weigh: similarity <= remaining / (total + extra share
                # x (weight - remaining)), the extra share being at least that of an example; the questions
                # numbered below `admissible` weigh no more.
                heaviest = remaining + (remaining / SIMILARITY_FLOOR - total) / _LEAST_EXTRA
                admissible = bisect_right(self.doc_weights, heaviest)
            for postings, holders, add in steps:
                if shared:
                    held = (
                        holders.intersection(shared)
                        if len(shared) < len(holders)
                        else shared.keys() & holders
                    )
                    for d in held:
                        shared[d] += add
                    if found:
                        setdefault = shared.setdefault
                        for d in postings[: bisect_left(postings, admissible)]:
                            setdefault(d, add)
                elif found:
                    shared = dict.fromkeys(postings[: bisect_left(postings, admissible)], add)
            remaining -= weight
        return shared

    def _reach(self, term: str) -> tuple[tuple[int, float], ...]:
        """The facts whose body holds a term, or (a little weaker) its broader concept, with the strength."""
        found = dict(self.body.get(term, ()))
        wide = self.broader.get(term)
        for i, strength in self.body.get(wide, ()) if wide else ():
            found[i] = max(found.get(i, 0.0), BROADER * strength)
        return tuple(found.items())

    def _coverage(self, weights: dict[str, float], order: list[str]) -> dict[int, float]:
        """Share of the question's weight each fact's body holds, terms taken in `order` (rarest first,
        common ones bounded)."""
        total = sum(weights.values())
        if not total:
            return {}
        matched: dict[int, float] = defaultdict(float)
        for term in order:
            weight = weights[term]
            if matched and term in self.crowded:
                for i in matched:
                    matched[i] += weight * self.strength(i, term)
                continue
            for i, strength in self.reach.get(term, ()):
                matched[i] += weight * strength
        return {i: value / total for i, value in matched.items()}

    def named_subjects(self, analysis: Analysis) -> frozenset[str]:
        """The subjects (people, tariff rates) a question names."""
        return frozenset(t for t in analysis.terms if t in self.subject_ids)

    def subject_named(self, i: int, named: frozenset[str]) -> float:
        """For a fact about a subject (a person, a tariff rate): 1 when the question names it alone, 0 when
        it names another subject instead; 0.5 when it names none or several, or the fact has no subject.
        `named`: the subjects the question names (named_subjects)."""
        subject = self.subjects[i]
        if subject is None:
            return 0.5
        if subject in named:
            return 1.0 if len(named) == 1 else 0.5  # 'who is greer and who is lutnick': not Greer alone
        return 0.0 if named else 0.5

    def holds(self, i: int, weights: dict[str, float], total: float) -> float:
        """Share of the question's weight fact i holds anywhere (its body or any of its examples)."""
        terms = self.fact_terms[i]
        held = sum([w for t, w in weights.items() if t in terms or t.startswith("?")])
        return held / total if total else 0.0

    def names_missing(self, i: int, entities: Iterable[str]) -> bool:
        """True when the question names a person or third country (`entities`, those of its terms in
        self.entities) that fact i never mentions."""
        return any(self.strength(i, t) == 0.0 for t in entities)
