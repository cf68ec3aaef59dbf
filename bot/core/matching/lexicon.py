"""The curated vocabulary as lookup tables: phrases and words -> concepts, intents, typo repair."""

from __future__ import annotations

import re
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
_VARIATION = "\ufe0f"  # the emoji presentation selector: '🏎️' is '🏎'
_FLAG = "[\U0001f1e6-\U0001f1ff]{2}"
_TYPO_CACHE = 4096
# A word at least this common in English (Zipf frequency) is a real word: it is never "repaired".
REAL_WORD_ZIPF = 3.0
_DOUBLES = re.compile(r"(.)\1+")


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
        # The lengths of the phrases starting with each stem, longest first (most words start none).
        sizes: dict[str, set[int]] = defaultdict(set)
        for words in self.phrases:
            if len(words) <= MAX_PHRASE:
                sizes[words[0]].add(len(words))
        self.phrase_sizes = {first: sorted(found, reverse=True) for first, found in sizes.items()}
        self.ignored = frozenset(vocabulary.stopwords | vocabulary.generic)
        self.ignored_stems = frozenset(stem(w) for w in self.ignored)
        self.intents: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)  # by first word
        self.yesno_openers: frozenset[str] = frozenset()
        for intent, phrases in vocabulary.intents.items():
            if intent == "yesno":
                self.yesno_openers = frozenset(phrases)
                continue
            for phrase in phrases:
                words = tuple(tokenize(phrase)) or (phrase,)
                self.intents[words[0]].append((words, intent))
        for entries in self.intents.values():  # the longest phrase first: it is the one that counts
            entries.sort(key=lambda entry: len(entry[0]), reverse=True)
        self.frequency = vocabulary.frequency
        self.levied = vocabulary.levied
        self.imposers = vocabulary.entities | vocabulary.levied.imposers  # countries other than the US
        self.countries = self.imposers | vocabulary.levied.home
        self.imposing = frozenset(map(stem, vocabulary.levied.verbs))
        self.destinations = frozenset(tuple(map(stem, tokenize(d))) for d in vocabulary.levied.destinations)
        self.closing = vocabulary.closing
        # A stem is as common as the commonest word it stems from ('dur' as 'during', 'anyth' as 'anything').
        self._stem_frequency: dict[str, float] = {}
        for word, zipf in self.frequency.items():
            root = stem(word)
            if zipf > self._stem_frequency.get(root, 0.0):
                self._stem_frequency[root] = zipf
        self.spellings = vocabulary.spellings
        self._symbols = {
            sign.replace(_VARIATION, ""): f" {said} " for sign, said in vocabulary.symbols.items()
        }
        signs = sorted(self._symbols, key=len, reverse=True)  # the longest sign first
        # A flag is two regional-indicator letters, read as a pair ('🇦🇺🇸🇬' holds no '🇺🇸'); an unlisted
        # flag means nothing.
        self._symbol_pattern = re.compile("|".join([_FLAG, *map(re.escape, signs)]))
        self._ascii_signs = frozenset(c for sign in signs for c in sign if c.isascii())
        self.concepts = frozenset(self.words.values()) | frozenset(self.phrases.values())
        # Repair targets by first letter and length: the fact base's words, then every common English
        # word (a misspelling of 'received' is 'received', even though no fact says it).
        self._targets: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._known: set[str] = set()
        self.add_known(self.words)
        self.add_known(t for p in self.phrases for t in p)
        self.add_known(self.ignored)
        self.add_known(t for entries in self.intents.values() for p, _ in entries for t in p)
        for word, zipf in self.frequency.items():
            if zipf >= REAL_WORD_ZIPF and word not in self._known and len(word) >= 3:
                self._targets[word[0], len(word)].append(word)
        self._repair = lru_cache(maxsize=_TYPO_CACHE)(self._repair_uncached)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the typo cache (see bot/core/compiled.py)."""
        state = dict(self.__dict__)
        del state["_repair"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """Restore, with an empty typo cache."""
        self.__dict__.update(state)
        self._repair = lru_cache(maxsize=_TYPO_CACHE)(self._repair_uncached)

    def add_known(self, words: Iterable[str]) -> None:
        """Make words valid typo-repair targets that win ties (the fact base's own words)."""
        for word in words:
            if word not in self._known and len(word) >= 3 and not word.isdigit():
                self._known.add(word)
                self._targets[word[0], len(word)].insert(0, word)

    def is_known(self, token: str) -> bool:
        """True when the token needs no repair: itself or its stem is known ('issued' -> 'issue' too)."""
        if token in self._known or token in self.words or token in self.ignored or token.isdigit():
            return True
        root = stem(token)
        roots = (root, root + "e") if root != token else (root,)
        return any(w in self._known or w in self.stems or w in self.ignored for w in roots)

    def commonness(self, term: str) -> float:
        """How common in English the word behind a term is (Zipf; 0 for concepts and rare words)."""
        if term in self.concepts:
            return 0.0
        spelled = max(self.frequency.get(w, 0.0) for w in (term, term + "e", term + "s", term + "ed"))
        return max(spelled, self._stem_frequency.get(term, 0.0))

    def is_real_word(self, token: str) -> bool:
        """True for a common English word: it means itself, so it is never taken for a misspelling."""
        return self.frequency.get(token, 0.0) >= REAL_WORD_ZIPF

    def _repair_uncached(self, token: str) -> str | None:
        """The known word a misspelt token most likely meant, or None.

        One edit for words of four or five letters, two from six; a doubled or dropped double letter
        counts half ('tarrif' -> 'tariff'), so does a chat plural's z ('carz' -> 'cars'); people get the first
        letter right, or swap the first two.
        """
        size = len(token)
        if size < 4 or token.isdigit() or self.is_real_word(token):
            return None
        limit = 1 if size <= 5 else 2
        firsts = {token[0], token[1]}  # people get the first letter right, or swap the first two
        candidates = [
            w
            for first in firsts
            for n in range(size - limit, size + limit + 1)
            for w in self._targets[first, n]
        ]
        best: tuple[float, bool, float, str] | None = None
        for word, distance, _ in process.extract(
            token, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None
        ):
            if word[0] != token[0] and word[:2] != token[1::-1]:
                continue
            doubled = _DOUBLES.sub(r"\1", word) == _DOUBLES.sub(r"\1", token)
            if size <= 5 and len(word) < size and not doubled:
                continue  # short words: a missing letter ('scot' -> 'scott'), a doubled one ('ricee'), but
                # never a dropped one ('care')
            cost = 0.5 if doubled else float(distance)
            if token[-1] == "z" and word == token[:-1] + "s":
                cost = 0.5  # the chat plural: 'carz', 'dealz'
            if cost > 1 and (size < 6 or fuzz.ratio(word, token) < 75):
                continue
            key = (cost, word not in self._known, -fuzz.ratio(word, token), word)
            if best is None or key < best:
                best = key
        return best[3] if best else None

    def _words(self, text: str) -> list[str]:
        """The text's tokens, its signs and emoji read as words ('🚗🇯🇵 tariff?': car japan tariff)."""
        if text.isascii() and self._ascii_signs.isdisjoint(text):
            return self._spelled(tokenize(text))
        return self._spelled(tokenize(text, self._read_signs))

    def _read_signs(self, text: str) -> str:
        """The text with its signs and emoji replaced by the words they stand for."""
        return self._symbol_pattern.sub(
            lambda found: self._symbols.get(found[0], " "), text.replace(_VARIATION, "")
        )

    def _spelled(self, tokens: list[str]) -> list[str]:
        """Chat spellings replaced by the words they stand for ('abt' -> 'about')."""
        if self.spellings.keys().isdisjoint(tokens):
            return tokens
        return [word for t in tokens for word in self.spellings.get(t, (t,))]

    def tokens(self, text: str) -> list[str]:
        """The text's tokens with typos repaired."""
        return self._repaired(text)[0]

    def _repaired(self, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        tokens = self._words(text)
        corrections = []
        for i, token in enumerate(tokens):
            if token.endswith("in") and not self.is_known(token) and self.is_known(token + "g"):
                tokens[i] = token + "g"  # 'talkin' -> 'talking'
                corrections.append((token, tokens[i]))
            elif not self.is_known(token) and (fixed := self._repair(token)):
                corrections.append((token, fixed))
                tokens[i] = fixed
        return tokens, corrections

    def analyse(self, text: str, *, repair: bool = True) -> Analysis:
        """Reduce text to concepts and intents; with `repair`, fix typos first."""
        tokens, corrections = self._repaired(text) if repair else (self._words(text), [])
        return self.analyse_tokens(tokens, corrections)

    def analyse_tokens(self, tokens: list[str], corrections: Iterable[tuple[str, str]] = ()) -> Analysis:
        """Concepts and intents of tokens already spelled out and repaired (see `tokens`). A closing
        'exactly' insists on nothing ('who is bessent exactly'; but 'the exact date', 'exactly when')."""
        if len(tokens) > 1 and tokens[-1] in self.closing:
            tokens = tokens[:-1]
        stems_ = [stem(t) for t in tokens]
        placed: list[tuple[int, int, str]] = []  # each term with the tokens it spans: (first, last + 1, term)
        in_phrase: set[int] = set()
        i = 0
        while i < len(tokens):
            for size in self.phrase_sizes.get(stems_[i], ()):
                concept = self.phrases.get(tuple(stems_[i : i + size])) if i + size <= len(tokens) else None
                if concept is not None:
                    if concept is not _FILLER:
                        placed.append((i, i + size, concept))
                    in_phrase.update(range(i + 1, i + size))
                    i += size
                    break
            else:
                term = self._us(tokens, i) if tokens[i] == "us" else self._term(tokens[i], stems_[i])
                if term:
                    placed.append((i, i + 1, term))
                i += 1
        terms = [term for _, _, term in placed]
        levied = self._levied_by(stems_, placed)
        if levied:
            terms.append(levied)
        intents = self._intents(tokens, in_phrase)
        return Analysis(tuple(dict.fromkeys(terms)), intents, tuple(corrections))

    def _levied_by(self, stems_: list[str], placed: list[tuple[int, int, str]]) -> str | None:
        """'tariff-by-<country>' when a question about a tariff speaks of one another country than the US
        puts on a country's goods: the country, then right after it a tariff ('japan's tariff') or a verb
        of imposing that is no part of a phrase ('tokyo slaps', not 'japan put on the table'), then 'on' or
        'against' and, at most after 'the', a country ('on us cars'). The term comes after the others."""
        tariff = next((start for start, _, term in placed if term == self.levied.tariff), None)
        if tariff is None:
            return None
        in_phrases = {i for start, end, _ in placed if end - start > 1 for i in range(start, end)}
        for k, (_, end, country) in enumerate(placed):
            if country not in self.imposers:
                continue
            after = placed[k + 1] if k + 1 < len(placed) else None
            if after is not None and after[2] == self.levied.tariff and after[0] <= end + 1:
                on = after[1]  # 'japan's tariff | on us cars'
            elif end < len(stems_) and stems_[end] in self.imposing and end not in in_phrases:
                on = end + 1  # 'tokyo slaps | on us pork'
            else:
                continue
            if on >= len(stems_) or stems_[on] not in self.levied.prepositions:
                continue
            target = next(((start, term) for start, _, term in placed if start > on), None)
            if (
                target is not None
                and target[1] in self.countries
                and set(stems_[on + 1 : target[0]]) <= {"the"}
            ):
                return f"tariff-by-{country}"
        return self._imported_into(stems_, placed, tariff)

    def _imported_into(
        self, stems_: list[str], placed: list[tuple[int, int, str]], tariff: int
    ) -> str | None:
        """'tariff-by-<country>' when, after the tariff (its first token: `tariff`), goods go into a country
        other than the US: a destination ('going into', 'exported to'), then, at most after 'the', that
        country ('the tariff on us cars going into japan')."""
        for start, _, country in placed:
            if country not in self.imposers or start <= tariff:
                continue
            end = start - 1 if start and stems_[start - 1] == "the" else start
            if any(tuple(stems_[end - len(d) : end]) == d for d in self.destinations if len(d) <= end):
                return f"tariff-by-{country}"
        return None

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
        """Intents whose phrase occurs, ignoring a word that only ends a concept phrase ('exchange rate'),
        read left to right, the longest phrase at each word ('how much time': duration, not an amount;
        'where do things stand': no place)."""
        found = set()
        i = 0
        while i < len(tokens):
            for phrase, intent in self.intents.get(tokens[i], ()):
                size = len(phrase)
                if tuple(tokens[i : i + size]) == phrase:
                    if not (size == 1 and i in in_phrase):
                        found.add(intent)
                    i += size - 1  # its words ask nothing more ('by what time': not 'what time')
                    break
            i += 1
        if tokens and tokens[0] in self.yesno_openers:
            found.add("yesno")
        return frozenset(found)
