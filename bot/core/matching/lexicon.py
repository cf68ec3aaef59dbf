"""The curated vocabulary as lookup tables: phrases and words -> concepts, intents, typo repair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.matching.tokens import stem, tokenize
from bot.core.model import Vocabulary

MAX_PHRASE = 5
_FILLER = ""  # the concept of a multi-word stopword: matched, then dropped
_US_PREPOSITIONS = frozenset(
    [
        "the",
        "from",
        "to",
        "with",
        "on",
        "for",
        "in",
        "against",
        "and",
        "vs",
        "versus",
        "between",
        "by",
        "of",
        "about",
        "over",
        "toward",
        "towards",
    ]
)
_TYPO_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text reduced to concepts (in order, no repeats), the intents asked, and repaired typos."""

    terms: tuple[str, ...]
    intents: frozenset[str]
    corrections: tuple[tuple[str, str], ...] = ()


class Lexicon:
    """Maps words and phrases to concepts; repairs typos against the words the fact base knows."""

    def __init__(self, vocabulary: Vocabulary, aliases: Mapping[str, Iterable[str]]) -> None:
        self.words: dict[str, str] = {}
        self.phrases: dict[tuple[str, ...], str] = {}
        stems: dict[str, set[str]] = defaultdict(set)
        groups = list(vocabulary.synonyms.items()) + [(k, tuple(v)) for k, v in aliases.items()]
        for concept, variants in groups:
            for variant in variants:
                tokens = tokenize(variant)
                if len(tokens) == 1:
                    self.words.setdefault(tokens[0], concept)
                    stems[stem(tokens[0])].add(concept)
                elif tokens:
                    self.phrases.setdefault(tuple(stem(t) for t in tokens), concept)
        self.stems = {s: next(iter(c)) for s, c in stems.items() if len(c) == 1}
        for phrase in vocabulary.stopwords | vocabulary.generic:  # 'tell me', 'going on': filler phrases
            tokens = tokenize(phrase)
            if len(tokens) > 1:
                self.phrases.setdefault(tuple(stem(t) for t in tokens), _FILLER)
        self.ignored = frozenset(vocabulary.stopwords | vocabulary.generic)
        self.ignored_stems = frozenset(stem(w) for w in self.ignored)
        self.intents: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)  # by first word
        self.yesno_openers: frozenset[str] = frozenset()
        for intent, phrases in vocabulary.intents.items():
            if intent == "yesno":
                self.yesno_openers = frozenset(phrases)
                continue
            for phrase in phrases:
                tokens = tuple(tokenize(phrase)) or (phrase,)
                self.intents[tokens[0]].append((tokens, intent))
        self._targets_by_length: dict[int, list[str]] = defaultdict(list)
        self._known: set[str] = set()
        self.add_known(self.words)
        self.add_known(t for p in self.phrases for t in p)
        self.add_known(vocabulary.stopwords)
        self.add_known(t for entries in self.intents.values() for p, _ in entries for t in p)
        self._repair = lru_cache(maxsize=_TYPO_CACHE)(self._repair_uncached)

    def add_known(self, words: Iterable[str]) -> None:
        """Make words valid typo-repair targets (the fact base's own words)."""
        for word in words:
            if word not in self._known and len(word) >= 3 and not word.isdigit():
                self._known.add(word)
                self._targets_by_length[len(word)].append(word)

    def is_known(self, token: str) -> bool:
        """True when the token needs no repair (itself, its stem, or its stem + 'e' is known)."""
        if token in self._known or token in self.words or token in self.ignored or token.isdigit():
            return True
        root = stem(token)
        return any(w in self._known or w in self.stems or w in self.ignored for w in (root, root + "e"))

    def _repair_uncached(self, token: str) -> str | None:
        """The known word a misspelt token most likely meant, or None."""
        size = len(token)
        if size < 4 or token.isdigit():
            return None
        candidates = [w for n in range(size - 2, size + 3) for w in self._targets_by_length.get(n, ())]
        best = None
        for word, score, _ in process.extract(token, candidates, scorer=fuzz.ratio, limit=5, score_cutoff=74):
            transposed = sorted(word) == sorted(token) and OSA.distance(word, token) == 1
            if word in self.ignored and not transposed:
                continue  # 'tall' is not a typo of 'all': a real word must not vanish
            # Short words: only a missing letter ('scot' -> 'scott'), never a dropped one ('care' -> 'car');
            # and people get the first letter right ('price' is not 'rice', 'often' not 'soften').
            close = word[0] == token[0] and (
                (score >= 82 and size >= 5)
                or (score >= 85 and len(word) > size)
                or (size >= 8 and OSA.distance(word, token) <= 2)
            )
            if (close or transposed) and (best is None or score > best[1]):
                best = (word, score)
        return best[0] if best else None

    def analyse(self, text: str, *, repair: bool = True) -> Analysis:
        """Reduce text to concepts and intents; with `repair`, fix typos first."""
        tokens = tokenize(text)
        corrections = []
        if repair:
            for i, token in enumerate(tokens):
                if not self.is_known(token) and (fixed := self._repair(token)):
                    corrections.append((token, fixed))
                    tokens[i] = fixed
        stems_ = [stem(t) for t in tokens]
        terms: list[str] = []
        in_phrase: set[int] = set()
        i = 0
        while i < len(tokens):
            for size in range(min(MAX_PHRASE, len(tokens) - i), 1, -1):
                concept = self.phrases.get(tuple(stems_[i : i + size]))
                if concept is not None:
                    if concept is not _FILLER:
                        terms.append(concept)
                    in_phrase.update(range(i + 1, i + size))
                    i += size
                    break
            else:
                term = self._us(tokens, i) if tokens[i] == "us" else self._term(tokens[i], stems_[i])
                if term:
                    terms.append(term)
                i += 1
        intents = self._intents(tokens, in_phrase)
        return Analysis(tuple(dict.fromkeys(terms)), intents, tuple(corrections))

    def _us(self, tokens: list[str], i: int) -> str | None:
        """Lower-case 'us' is the country after a preposition or before a noun ('us corn'), else 'we'."""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if before in _US_PREPOSITIONS or (after and not self.is_ignored(after)):
            return "usa"
        return None

    def is_ignored(self, token: str) -> bool:
        """True for stopwords and generic words."""
        return token in self.ignored and token not in self.words

    def _term(self, token: str, token_stem: str) -> str | None:
        concept = self.words.get(token)
        if concept:
            return concept
        if token_stem != token and token_stem not in self.stems and token_stem + "e" in self.words:
            return self.words[token_stem + "e"]
        if token_stem != token and token_stem + "e" in self.ignored:
            return None
        if token in self.ignored or token_stem in self.ignored_stems:
            return None
        return self.stems.get(token_stem, token_stem)

    def _intents(self, tokens: list[str], in_phrase: set[int]) -> frozenset[str]:
        """Intents whose phrase occurs, ignoring a word that only ends a concept phrase ('exchange rate')."""
        found = set()
        for i, token in enumerate(tokens):
            for phrase, intent in self.intents.get(token, ()):
                size = len(phrase)
                if tuple(tokens[i : i + size]) == phrase and not (size == 1 and i in in_phrase):
                    found.add(intent)
        if tokens and tokens[0] in self.yesno_openers:
            found.add("yesno")
        return frozenset(found)
