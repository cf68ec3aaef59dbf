"""Load `knowledge/` into a validated KnowledgeBase, reporting every problem as `file: entry: reason`."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.core.matching.decision import (
    ANSWER_FEATURES,
    FEATURES,
    BoostedTrees,
    DecisionModel,
    Logistic,
    Tree,
)
from bot.core.model import (
    DECLINE_REASONS,
    INTENTS,
    TARIFF_KINDS,
    TARIFF_STATUSES,
    TOPICS,
    AskedSet,
    Citation,
    Conversation,
    DeclineGroup,
    Fact,
    KnowledgeBase,
    LeviedRule,
    NewsRules,
    Participant,
    Proposal,
    SmallTalk,
    Source,
    TalkRound,
    TariffRecord,
    Vocabulary,
)
from bot.core.text import clip, normalise_question, normalise_quote
from bot.core.yamlsafe import Changing, Limits, Refused, load_yaml, read_capped, shown, snapshot

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_YAML_BOOL_HINT = "(quote yes/no/on/off: YAML reads them as true/false)"
WORD_LIST = "english-words.txt"
TREE_DEPTH = 8  # levels a tree of the answer stage may have (scripts/fit_decision.py grows 3)
SECTIONS = (
    "sources",
    "vocabulary",
    "participants",
    "tariffs",
    "proposals",
    "rounds",
    "facts",
    "declines",
    "asked",
    "smalltalk",
    "conversation",
    "decision",
    "news",
)
# What the bot says besides facts, and the placeholders each text may use.
REPLY_PLACEHOLDERS = {
    "decline": set(),
    "suggest": set(),
    "ambiguous": set(),
    "horizon": {"horizon"},
    "now": {"as_of"},
    "off_topic": {"examples"},
    "opinion": set(),
}
CONVERSATION_LISTS = (
    "sample_questions",
    "later_phrases",
    "past_words",
    "plan_words",
    "now_phrases",
    "smalltalk_filler",
    "smalltalk_addressees",
    "opinion_phrases",
    "opinion_exceptions",
)


class KnowledgeError(Exception):
    """The fact base is broken; `problems` holds one `file: entry: reason` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the fact base:\n" + "\n".join(problems))
        self.problems = problems


class KnowledgeChanging(KnowledgeError):
    """Files changed while the fact base was read: nothing accepted, try again later."""


# --- field checkers: each returns the cleaned value or raises ValueError(reason) ---------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, not {shown(value)}")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"must be a number, not {shown(value)}")
    return float(value)


def _tree(value: Any, depth: int = TREE_DEPTH) -> Tree:
    """A decision tree: a leaf number, or [FEATURE, THRESHOLD, TREE, TREE] of at most `depth` levels."""
    if not isinstance(value, list):
        try:
            return _number(value)
        except ValueError:
            raise ValueError(
                f"must be a leaf number or [FEATURE, THRESHOLD, TREE, TREE], not {shown(value)}"
            ) from None
    if len(value) != 4:
        raise ValueError(f"a split must be [FEATURE, THRESHOLD, TREE, TREE], not {shown(value)}")
    if not isinstance(value[0], str) or value[0] not in ANSWER_FEATURES:
        raise ValueError(f"unknown feature {shown(value[0])}: use one of {', '.join(ANSWER_FEATURES)}")
    if depth == 0:
        raise ValueError(f"deeper than {TREE_DEPTH} levels")
    return (value[0], _number(value[1]), _tree(value[2], depth - 1), _tree(value[3], depth - 1))


def _optional_number(value: Any) -> float | None:
    return None if value is None else _number(value)


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"must be an id of lower-case letters, digits and '-', not {shown(value)}")
    return value


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of text")
    return tuple(_text(v) for v in value)


def _answers(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError("must map fact ids to lists of questions")
    answers = {}
    for key, questions in value.items():
        try:
            answers[_identifier(key)] = _text_list(questions)
        except ValueError as exc:
            raise ValueError(f"{shown(key)}: {exc}") from None
    return answers


def _one_of(choices: Iterable[str]) -> Callable[[Any], str]:
    allowed = tuple(choices)

    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, not {shown(value)}")
        return allowed[allowed.index(value)]

    return check


def _list_of(choices: Iterable[str]) -> Callable[[Any], tuple[str, ...]]:
    one = _one_of(choices)

    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValueError("must be a list")
        return tuple(one(v) for v in value)

    return check


def _citations(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of {source, quote}")
    for item in value:
        if not isinstance(item, dict) or set(item) != {"source", "quote"}:
            raise ValueError("each source must be exactly {source: ID, quote: TEXT}")
        _identifier(item["source"])
        _text(item["quote"])
    return value


FACT_FIELDS: dict[str, tuple[bool, Callable[[Any], Any]]] = {
    "id": (True, _identifier),
    "question": (True, _text),
    "answer": (True, _text),
    "as_of": (True, _date),
    "sources": (True, _citations),
    "topics": (True, _list_of(TOPICS)),
    "keywords": (False, _text_list),
    "intents": (False, _list_of(INTENTS)),
    "about": (False, _text_list),
    "examples": (False, _text_list),
    "gaps": (False, _text_list),
}
RECORD_FIELDS: dict[str, dict[str, tuple[bool, Callable[[Any], Any]]]] = {
    "facts": {},
    "participants": {
        "name": (True, _text),
        "role": (True, _text),
        "country": (True, _text),
        "aliases": (False, _text_list),
    },
    "tariffs": {
        "country": (True, _text),
        "sector": (True, _text),
        "rate": (True, _optional_number),
        "kind": (True, _one_of(TARIFF_KINDS)),
        "status": (True, _one_of(TARIFF_STATUSES)),
        "until": (False, _optional_text),
        "relief": (False, _optional_text),
        "exceptions": (False, _optional_text),
    },
    "proposals": {"name": (True, _text), "status": (True, _text)},
    "rounds": {
        "name": (True, _text),
        "date": (True, _date),
        "place": (True, _text),
        "duration": (False, _optional_text),
        "attendees": (False, _text_list),
    },
}
SOURCE_FIELDS = {
    "id": (True, _identifier),
    "title": (True, _text),
    "date": (True, _date),
    "publisher": (False, _optional_text),
    "file": (True, _text),
}
DECLINE_FIELDS = {
    "id": (True, _identifier),
    "reason": (True, _one_of(DECLINE_REASONS)),
    "examples": (True, _text_list),
}
ASKED_FIELDS = {
    "id": (True, _identifier),
    "answers": (False, _answers),
    "declines": (False, _text_list),
    "later": (False, _text_list),
}
SMALLTALK_FIELDS = {
    "id": (True, _identifier),
    "phrases": (True, _text_list),
    "reply": (True, _text),
}
VOCABULARY_KEYS = {
    "synonyms",
    "intents",
    "stopwords",
    "generic",
    "broader",
    "entities",
    "spellings",
    "symbols",
    "levied",
    "closing",
}
LEVIED_KEYS = ("tariff", "home", "imposers", "verbs", "prepositions", "destinations")
# Characters the tokenizer reads before signs are: mentions, links, contractions, percentages.
_RESERVED_SIGNS = frozenset("<>@#:/.%'`")


def _single_word(word: object) -> bool:
    """True for a string that is one word (no spaces)."""
    return isinstance(word, str) and len(word.split()) == 1


class _Loader:
    """Collects entries from every YAML file, then validates and links them."""

    def __init__(self, root: Path, limits: Limits, settle: bool) -> None:
        self.root = root
        self.limits = limits
        self.settle = settle
        self.problems: list[str] = []
        self.raw: dict[str, list[tuple[str, Any]]] = {name: [] for name in SECTIONS}
        self.frequency: dict[str, float] = {}

    def problem(self, file: str, entry: str, reason: str) -> None:
        self.problems.append(f"{file}: {entry}: {reason}")

    def single(self, key: str) -> tuple[str, Any] | None:
        """The one file and block defining a key; None (and a problem) unless there is exactly one."""
        blocks = self.raw[key]
        if len(blocks) != 1:
            where = ", ".join(f for f, _ in blocks) or "knowledge"
            self.problem(where, key, f"must be defined exactly once (found {len(blocks)})")
            return None
        return blocks[0]

    def read_files(self) -> str:
        """Read every file of one consistent snapshot; the fingerprint of their bytes."""
        digest = hashlib.sha256()
        files, unreadable = snapshot(self.root, self.limits, settle=self.settle, also=(WORD_LIST,))
        if not any(name != WORD_LIST for name, _ in files) and not unreadable:
            self.problem(str(self.root), "-", "no *.yaml files in the knowledge folder")
        for name, reason in unreadable:
            self.problem(name, "-", reason)
        for name, data in files:
            digest.update(name.encode() + b"\0" + data + b"\0")
            if name == WORD_LIST:
                self.frequency = self.read_frequencies(data)
            else:
                self.read_yaml(name, data)
        return digest.hexdigest()

    def read_frequencies(self, data: bytes) -> dict[str, float]:
        """`ZIPF word word ...` lines (comments start with '#') as a word -> Zipf frequency map."""
        frequency: dict[str, float] = {}
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            zipf, _, words = line.partition(" ")
            if not line.strip() or line.startswith("#"):
                continue
            try:
                value = float(zipf)
            except ValueError:
                reason = f"must start with a frequency, not {clip(zipf, 60)!r}"
                self.problem(WORD_LIST, f"line {number}", reason)
                continue
            frequency.update(dict.fromkeys(words.split(), value))
        return frequency

    def read_yaml(self, name: str, data: bytes) -> None:
        try:
            doc = load_yaml(data, self.limits)
        except Refused as exc:
            self.problem(name, "-", str(exc))
            return
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "-"
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(name, where, f"invalid YAML: {shown(reason)[1:-1]}")
            return
        if doc is None:
            return
        if not isinstance(doc, dict):
            self.problem(name, "-", "top level must be a mapping of sections")
            return
        for section, entries in doc.items():
            if section not in SECTIONS:
                expected = f"unknown section (expected one of {', '.join(SECTIONS)})"
                self.problem(name, clip(str(section), 60), expected)
            elif section in ("vocabulary", "conversation", "decision", "news"):
                self.raw[section].append((name, entries))
            elif not isinstance(entries, list):
                self.problem(name, section, "must be a list of entries")
            else:
                self.raw[section].extend((name, e) for e in entries)

    def fields(
        self, file: str, entry: Any, spec: Mapping[str, tuple[bool, Callable[[Any], object]]], label: str
    ) -> dict[str, Any] | None:
        """Check one mapping against a field spec; None when it is unusable."""
        if not isinstance(entry, dict):
            self.problem(file, label, "entry must be a mapping")
            return None
        name = clip(str(entry.get("id", label)), 80)
        ok, out = True, {}
        for key in entry:
            if key not in spec:
                self.problem(file, name, f"unknown key {shown(key)}")
                ok = False
        for key, (required, check) in spec.items():
            if key not in entry:
                if required:
                    self.problem(file, name, f"missing required key {key!r}")
                    ok = False
                continue
            try:
                out[key] = check(entry[key])
            except ValueError as exc:
                self.problem(file, name, f"{key} {exc}")
                ok = False
        return out if ok else None

    def entries(
        self, section: str, spec: Mapping[str, tuple[bool, Callable[[Any], object]]], what: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The valid entries of a section, each id once, as (file, checked fields); a repeat is a problem."""
        seen: set[str] = set()
        for i, (file, entry) in enumerate(self.raw[section]):
            data = self.fields(file, entry, spec, f"{section}[{i}]")
            if data is None:
                continue
            if data["id"] in seen:
                self.problem(file, data["id"], f"duplicate {what} id")
                continue
            seen.add(data["id"])
            yield file, data

    def load_sources(self) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        for file, data in self.entries("sources", SOURCE_FIELDS, "source"):
            path = (self.root / data["file"]).resolve()
            if not path.is_relative_to(self.root.resolve()) or not path.is_file():
                self.problem(file, data["id"], f"source file {data['file']!r} not found")
                continue
            try:
                text = normalise_quote(read_capped(path, self.limits.max_file_bytes).decode("utf-8"))
            except Refused as exc:
                self.problem(file, data["id"], f"source file {data['file']!r}: {exc}")
                continue
            except UnicodeDecodeError as exc:
                self.problem(
                    file, data["id"], f"source file {data['file']!r} is not UTF-8 text (byte {exc.start})"
                )
                continue
            sources[data["id"]] = Source(text=text, **data)
        return sources

    def load_vocabulary(self) -> Vocabulary:
        synonyms: dict[str, tuple[str, ...]] = {}
        intents: dict[str, tuple[str, ...]] = {}
        stopwords: set[str] = set()
        generic: set[str] = set()
        broader: dict[str, str] = {}
        entities: set[str] = set()
        spellings: dict[str, tuple[str, ...]] = {}
        symbols: dict[str, str] = {}
        levied: dict[str, tuple[str, ...]] = {}
        levied_file = ""
        closing: set[str] = set()
        for file, block in self.raw["vocabulary"]:
            if not isinstance(block, dict):
                self.problem(file, "vocabulary", "must be a mapping")
                continue
            for key in set(block) - VOCABULARY_KEYS:
                self.problem(file, "vocabulary", f"unknown key {key!r}")
            for key, target in (("synonyms", synonyms), ("intents", intents)):
                groups = block.get(key) or {}
                if not isinstance(groups, dict):
                    self.problem(file, f"vocabulary.{key}", "must map a name to a list of words")
                    continue
                for name, words in groups.items():
                    if key == "intents" and name not in INTENTS:
                        self.problem(
                            file,
                            f"vocabulary.intents.{name}",
                            f"unknown intent (expected one of {', '.join(INTENTS)})",
                        )
                    elif not isinstance(words, list) or not all(
                        isinstance(w, str) and w.strip() for w in words
                    ):
                        self.problem(
                            file, f"vocabulary.{key}.{name}", "must be a list of words " + _YAML_BOOL_HINT
                        )
                    elif name in target:
                        self.problem(file, f"vocabulary.{key}.{name}", "defined twice")
                    else:
                        target[str(name)] = tuple(w.strip().lower() for w in words)
            for key, target_set in (("stopwords", stopwords), ("generic", generic)):
                words = block.get(key) or []
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    self.problem(file, f"vocabulary.{key}", "must be a list of words " + _YAML_BOOL_HINT)
                    continue
                target_set.update(w.strip().lower() for w in words)
            written = block.get("spellings") or {}
            if not isinstance(written, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
                for k, v in written.items()
            ):
                self.problem(file, "vocabulary.spellings", "must map a spelling to the words it stands for")
            else:
                spellings.update({k.strip().lower(): tuple(v.lower().split()) for k, v in written.items()})
            names = block.get("entities") or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.problem(file, "vocabulary.entities", "must be a list of concept names")
            else:
                entities.update(names)
            if "symbols" in block:
                symbols.update(self._symbols(file, block["symbols"]))
            if "levied" in block:
                if levied_file:
                    self.problem(file, "vocabulary.levied", f"defined twice (also in {levied_file})")
                levied_file = file
                levied.update(self._levied_rule(file, block["levied"]))
            words = block.get("closing", [])
            if not isinstance(words, list) or not all(_single_word(w) for w in words):
                self.problem(file, "vocabulary.closing", "must be a list of single words " + _YAML_BOOL_HINT)
            else:
                closing.update(w.strip().lower() for w in words)
            links = block.get("broader") or {}
            if not isinstance(links, dict) or not all(isinstance(v, str) for v in links.values()):
                self.problem(file, "vocabulary.broader", "must map a concept to a broader concept")
            else:
                broader.update({str(k): v for k, v in links.items()})
        for name in sorted(entities - set(synonyms)):
            self.problem("vocabulary", "vocabulary.entities", f"unknown concept {name!r}")
        for narrow, wide in broader.items():
            for name in (narrow, wide):
                if name not in synonyms:
                    self.problem("vocabulary", f"vocabulary.broader.{narrow}", f"unknown concept {name!r}")
        for key in ("tariff", "home", "imposers"):
            for name in levied.get(key, ()):
                if name not in synonyms:
                    self.problem(levied_file, f"vocabulary.levied.{key}", f"unknown concept {name!r}")
        return Vocabulary(
            synonyms,
            intents,
            frozenset(stopwords),
            frozenset(generic),
            broader,
            frozenset(entities),
            self.frequency,
            spellings,
            symbols,
            LeviedRule(
                tariff=next(iter(levied.get("tariff", ())), ""),
                home=frozenset(levied.get("home", ())),
                imposers=frozenset(levied.get("imposers", ())),
                verbs=frozenset(levied.get("verbs", ())),
                prepositions=frozenset(levied.get("prepositions", ())),
                destinations=frozenset(levied.get("destinations", ())),
            ),
            frozenset(closing),
        )

    def _symbols(self, file: str, signs: object) -> dict[str, str]:
        """The `symbols` mapping (sign or emoji -> words). A key with a letter or digit is a spelling; one
        of the characters mentions, links and contractions are read by is not a sign of its own."""
        if not isinstance(signs, dict):
            self.problem(file, "vocabulary.symbols", "must map a sign or emoji to the words it stands for")
            return {}
        found = {}
        for sign, words in signs.items():
            entry = f"vocabulary.symbols.{sign}"
            if not isinstance(sign, str) or not sign.strip():
                self.problem(file, "vocabulary.symbols", f"{sign!r} is no sign " + _YAML_BOOL_HINT)
            elif not isinstance(words, str) or not words.strip():
                self.problem(file, entry, "must be the words it stands for " + _YAML_BOOL_HINT)
            elif any(c.isalnum() for c in sign):
                self.problem(file, entry, "holds a letter or digit: a spelling")
            elif not _RESERVED_SIGNS.isdisjoint(sign):
                self.problem(file, entry, f"holds one of {' '.join(sorted(_RESERVED_SIGNS))}: read elsewhere")
            else:
                found[sign.strip()] = words.strip().lower()
        return found

    def _levied_rule(self, file: str, rule: object) -> dict[str, tuple[str, ...]]:
        """The `levied` mapping's entries as word tuples; problems reported with their key."""
        if not isinstance(rule, dict):
            self.problem(file, "vocabulary.levied", f"must map {', '.join(LEVIED_KEYS)} to words")
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for key in set(rule) - set(LEVIED_KEYS):
            self.problem(file, "vocabulary.levied", f"unknown key {key!r}")
        for key in LEVIED_KEYS:
            value = rule.get(key)
            words = [value] if key == "tariff" else value
            single = key != "destinations"  # the only phrases: 'going into', 'exported to'
            if (
                not isinstance(words, list)
                or not words
                or not all(_single_word(w) if single else isinstance(w, str) and w.strip() for w in words)
            ):
                many = "a list of single words " if single else "a list of words or phrases "
                shape = "a concept name" if key == "tariff" else many + _YAML_BOOL_HINT
                self.problem(file, f"vocabulary.levied.{key}", "must be " + shape)
            else:
                found[key] = tuple(w.strip().lower() for w in words)
        return found

    def load_conversation(self) -> Conversation | None:
        """The reply texts and horizon words (exactly one `conversation:` mapping)."""
        defined = self.single("conversation")
        if defined is None:
            return None
        file, block = defined
        if not isinstance(block, dict):
            self.problem(file, "conversation", "must be a mapping")
            return None
        ok = True
        for key in set(block) - {"replies", *CONVERSATION_LISTS}:
            self.problem(file, "conversation", f"unknown key {key!r}")
            ok = False
        replies = block.get("replies")
        if not isinstance(replies, dict):
            self.problem(file, "conversation.replies", "must map a reply name to its text")
            replies, ok = {}, False
        for key, allowed in REPLY_PLACEHOLDERS.items():
            text = replies.get(key)
            if not isinstance(text, str) or not text.strip():
                self.problem(file, f"conversation.replies.{key}", "must be non-empty text")
                ok = False
            elif bad := _placeholders(text) - allowed:
                self.problem(file, f"conversation.replies.{key}", f"unknown placeholder(s) {sorted(bad)}")
                ok = False
        for key in set(replies) - set(REPLY_PLACEHOLDERS):
            self.problem(file, f"conversation.replies.{key}", "unknown reply")
            ok = False
        lists: dict[str, tuple[str, ...]] = {}
        for key in CONVERSATION_LISTS:
            try:
                lists[key] = tuple(
                    w.lower() if key != "sample_questions" else w for w in _text_list(block.get(key))
                )
            except ValueError as exc:
                self.problem(file, f"conversation.{key}", f"{exc} {_YAML_BOOL_HINT}")
                ok = False
        if not ok:
            return None
        return Conversation(replies={k: replies[k].strip() for k in REPLY_PLACEHOLDERS}, **lists)

    def load_decision(self) -> DecisionModel | None:
        """The fitted answer / decline models (written by scripts/fit_decision.py)."""
        defined = self.single("decision")
        if defined is None:
            return None
        file, block = defined
        keys = {"ranking", "answer", "threshold", "ambiguity_margin"}
        if not isinstance(block, dict) or set(block) != keys:
            self.problem(file, "decision", f"must have exactly the keys {', '.join(sorted(keys))}")
            return None
        part = block["ranking"]
        if not isinstance(part, dict) or set(part) != {"weights", "bias"}:
            self.problem(file, "decision.ranking", "must be {weights: {FEATURE: NUMBER...}, bias: NUMBER}")
            return None
        weights = part["weights"]
        if not isinstance(weights, dict) or set(weights) != set(FEATURES):
            self.problem(
                file, "decision.ranking.weights", f"must give a number for each of {', '.join(FEATURES)}"
            )
            return None
        try:
            ranking = Logistic({k: _number(v) for k, v in weights.items()}, _number(part["bias"]))
        except ValueError as exc:
            self.problem(file, "decision.ranking", str(exc))
            return None
        part = block["answer"]
        if not isinstance(part, dict) or set(part) != {"base", "trees"} or type(part["trees"]) is not list:
            self.problem(file, "decision.answer", "must be {base: NUMBER, trees: [TREE...]}")
            return None
        try:
            base = _number(part["base"])
        except ValueError as exc:
            self.problem(file, "decision.answer.base", str(exc))
            return None
        trees = []
        for k, tree in enumerate(part["trees"]):
            try:
                trees.append(_tree(tree))
            except ValueError as exc:
                self.problem(file, f"decision.answer.trees[{k}]", str(exc))
        if len(trees) < len(part["trees"]):
            return None
        answer = BoostedTrees(base, tuple(trees))
        try:
            threshold, margin = _number(block["threshold"]), _number(block["ambiguity_margin"])
        except ValueError as exc:
            self.problem(file, "decision", str(exc))
            return None
        if not 0 < threshold < 1 or not 0 <= margin < 1:
            self.problem(file, "decision", "threshold must be in (0, 1) and ambiguity_margin in [0, 1)")
            return None
        return DecisionModel(ranking, answer, threshold, margin)

    def load_news(self, concepts: set[str]) -> NewsRules | None:
        """The news relevance rule: concept sets (each name a known concept), factors, topics, labels."""
        defined = self.single("news")
        if defined is None:
            return None
        file, block = defined
        sets = ("japan_side", "us_side", "trade", "negotiators", "counterparts", "elsewhere", "off_topic")
        factors = ("summary_weight", "elsewhere_factor", "off_topic_factor")
        keys = [*sets, *factors, "topics", "labels", "vocabulary"]
        if not isinstance(block, dict) or set(block) != set(keys):
            self.problem(file, "news", f"must have exactly the keys {', '.join(keys)}")
            return None
        ok = True
        vocabulary: dict[str, tuple[str, ...]] = {}
        own = block["vocabulary"]
        if not isinstance(own, dict) or not all(
            isinstance(words, list) and words and all(isinstance(w, str) and w.strip() for w in words)
            for words in own.values()
        ):
            self.problem(file, "news.vocabulary", "must map a concept to a list of words " + _YAML_BOOL_HINT)
            ok = False
        else:
            vocabulary = {str(k): tuple(w.strip().lower() for w in v) for k, v in own.items()}
            for name in sorted(set(vocabulary) & concepts):
                self.problem(file, f"news.vocabulary.{name}", "already a concept of vocabulary.yaml")
                ok = False
        concepts = concepts | set(vocabulary)

        def names(key: str, value: Any) -> tuple[str, ...]:
            nonlocal ok
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.problem(file, key, "must be a list of concept names")
                ok = False
                return ()
            for name in sorted(set(value) - concepts):
                self.problem(file, key, f"unknown concept {shown(name)}")
                ok = False
            return tuple(dict.fromkeys(value))

        found = {key: names(f"news.{key}", block[key]) for key in sets}
        numbers: dict[str, float] = {}
        for key in factors:
            try:
                numbers[key] = _number(block[key])
            except ValueError as exc:
                self.problem(file, f"news.{key}", str(exc))
                ok = False
                continue
            if not 0 <= numbers[key] <= 1:
                self.problem(file, f"news.{key}", f"must be between 0 and 1 (got {numbers[key]:g})")
                ok = False
        topics_block, labels = block["topics"], block["labels"]
        topics: dict[str, tuple[str, ...]] = {}
        if not isinstance(topics_block, dict):
            self.problem(file, "news.topics", "must map a topic to a list of concept names")
            ok = False
        else:
            for topic, value in topics_block.items():
                if topic not in TOPICS:
                    self.problem(
                        file,
                        f"news.topics.{clip(str(topic), 40)}",
                        f"unknown topic (expected one of {', '.join(TOPICS)})",
                    )
                    ok = False
                topics[str(topic)] = names(f"news.topics.{topic}", value)
        if not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
            self.problem(file, "news.labels", "must map a concept name to the words that name it")
            ok = False
        else:
            names("news.labels", list(labels))
        if not ok:
            return None
        labels = {str(k): v.strip() for k, v in labels.items()}
        return NewsRules(
            found["japan_side"],
            found["us_side"],
            found["trade"],
            found["negotiators"],
            found["counterparts"],
            found["elsewhere"],
            found["off_topic"],
            numbers["summary_weight"],
            numbers["elsewhere_factor"],
            numbers["off_topic_factor"],
            topics,
            labels,
            vocabulary,
        )

    def load_smalltalk(self) -> tuple[SmallTalk, ...]:
        """Kinds of small talk: the phrases that say them and the reply (may use {examples})."""
        kinds = []
        for file, data in self.entries("smalltalk", SMALLTALK_FIELDS, "small-talk"):
            if bad := _placeholders(data["reply"]) - {"examples"}:
                self.problem(file, data["id"], f"reply has unknown placeholder(s) {sorted(bad)}")
            else:
                kinds.append(SmallTalk(data["id"], data["phrases"], data["reply"]))
        return tuple(kinds)

    def load_declines(self) -> tuple[DeclineGroup, ...]:
        """Groups of questions that must be declined, with the reason."""
        return tuple(
            DeclineGroup(data["id"], data["reason"], data["examples"], file)
            for file, data in self.entries("declines", DECLINE_FIELDS, "decline group")
        )

    def check_questions_unique(
        self, facts: dict[str, Fact], declines: tuple[DeclineGroup, ...]
    ) -> dict[str, str]:
        """Every example, gap and decline question says something no other entry says; what each says."""
        seen: dict[str, str] = {}
        for fact in facts.values():
            seen[normalise_question(fact.question)] = f"the question of {fact.id}"
        lists = [(f.file, f.id, "example", f.examples) for f in facts.values()]
        lists += [(f.file, f.id, "gap", f.gaps) for f in facts.values()]
        lists += [(g.file, g.id, "decline example", g.examples) for g in declines]
        for file, owner, label, questions in lists:
            for question in questions:
                key = normalise_question(question)
                if not key:
                    self.problem(file, owner, f"{label} {clip(question, 60)!r} has no words")
                elif key in seen:
                    self.problem(file, owner, f"{label} {clip(question, 60)!r} duplicates {seen[key]}")
                else:
                    seen[key] = f"{label} of {owner}"
        return seen

    def load_asked(self, facts: dict[str, Fact], seen: Iterable[str]) -> tuple[AskedSet, ...]:
        """The questions of labelled question sets, answered by known facts or to decline. Derived data must
        not stop a curator: questions of a fact that is gone, and questions with no words or that repeat a
        curated (`seen`: normalised) or earlier one, are left out, with a warning per set."""
        keys = set(seen)

        def fresh(questions: tuple[str, ...]) -> tuple[str, ...]:
            kept = []
            for question in questions:
                key = normalise_question(question)
                if key and key not in keys:
                    keys.add(key)
                    kept.append(question)
            return tuple(kept)

        sets = []
        for file, data in self.entries("asked", ASKED_FIELDS, "asked set"):
            answers = data.get("answers", {})
            if gone := sorted(set(answers) - set(facts)):
                log.warning(
                    "%s: %s: questions of %d unknown fact(s) (%s) left out; run scripts/import_asked.py",
                    file,
                    data["id"],
                    len(gone),
                    clip(", ".join(gone), 80),
                )
            known = {f: questions for f, questions in answers.items() if f in facts}
            listed = AskedSet(data["id"], known, data.get("declines", ()), data.get("later", ()), file)
            answers = {f: fresh(questions) for f, questions in listed.answers.items()}
            answers = {f: questions for f, questions in answers.items() if questions}
            one = AskedSet(listed.id, answers, fresh(listed.declines), fresh(listed.later), file)
            if dropped := listed.size - one.size:
                log.warning(
                    "%s: %s: %d question(s) left out (no words or held before); run scripts/import_asked.py",
                    file,
                    one.id,
                    dropped,
                )
            sets.append(one)
        return tuple(sets)

    def build_fact(self, file: str, data: dict[str, Any], sources: dict[str, Source]) -> Fact | None:
        citations = []
        for cited in data["sources"]:
            source = sources.get(cited["source"])
            if source is None:
                self.problem(file, data["id"], f"unknown source {cited['source']!r}")
                return None
            quote = normalise_quote(cited["quote"])
            if quote not in source.text:
                self.problem(file, data["id"], f"quote not found in source {source.id!r}: {quote[:60]!r}")
                return None
            citations.append(Citation(source, quote))
        return Fact(
            id=data["id"],
            question=data["question"],
            answer=data["answer"],
            as_of=data["as_of"],
            citations=tuple(citations),
            topics=data["topics"],
            keywords=data.get("keywords", ()),
            intents=data.get("intents", ()),
            about=data.get("about", ()),
            examples=data.get("examples", ()),
            gaps=data.get("gaps", ()),
            file=file,
        )

    def load(self) -> KnowledgeBase:
        fingerprint = self.read_files()
        sources = self.load_sources()
        vocabulary = self.load_vocabulary()
        facts: dict[str, Fact] = {}
        records: dict[str, list[Any]] = {name: [] for name in RECORD_FIELDS}
        pending_refs: list[tuple[str, str, str, str]] = []
        for section, extra in RECORD_FIELDS.items():
            spec = FACT_FIELDS | extra
            for i, (file, entry) in enumerate(self.raw[section]):
                data = self.fields(file, entry, spec, f"{section}[{i}]")
                if data is None:
                    continue
                if data["id"] in facts:
                    self.problem(file, data["id"], f"duplicate id (first in {facts[data['id']].file})")
                    continue
                fact = self.build_fact(file, data, sources)
                if fact is None:
                    continue
                facts[fact.id] = fact
                pending_refs += [(file, fact.id, "about", ref) for ref in fact.about]
                pending_refs += [(file, fact.id, "attendees", ref) for ref in data.get("attendees", ())]
                records[section].append((fact, data))
        participants = {
            fact.id: Participant(fact.id, d["name"], d["role"], d["country"], d.get("aliases", ()), fact)
            for fact, d in records["participants"]
        }
        for file, fact_id, key, ref in pending_refs:
            if ref not in participants:
                self.problem(file, fact_id, f"{key} names unknown participant {ref!r}")
        conversation = self.load_conversation()
        decision = self.load_decision()
        news = self.load_news(set(vocabulary.synonyms) | set(participants))
        smalltalk = self.load_smalltalk()
        declines = self.load_declines()
        asked = self.load_asked(facts, self.check_questions_unique(facts, declines))
        if self.problems or conversation is None or decision is None or news is None:
            raise KnowledgeError(self.problems)
        return KnowledgeBase(
            sources=sources,
            facts=facts,
            participants=participants,
            tariffs=tuple(
                TariffRecord(
                    f.id,
                    d["country"],
                    d["sector"],
                    d["rate"],
                    d["kind"],
                    d["status"],
                    d.get("until"),
                    d.get("relief"),
                    d.get("exceptions"),
                    f,
                )
                for f, d in records["tariffs"]
            ),
            proposals=tuple(Proposal(f.id, d["name"], d["status"], f) for f, d in records["proposals"]),
            rounds=tuple(
                TalkRound(
                    f.id, d["name"], d["date"], d["place"], d.get("duration"), d.get("attendees", ()), f
                )
                for f, d in sorted(records["rounds"], key=lambda r: r[1]["date"])
            ),
            vocabulary=vocabulary,
            decision=decision,
            conversation=conversation,
            news=news,
            smalltalk=smalltalk,
            declines=declines,
            fingerprint=fingerprint,
            asked=asked,
        )


def _placeholders(text: str) -> set[str]:
    """The `{name}` placeholders a reply text uses."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def load_knowledge(root: Path, limits: Limits | None = None, *, settle: bool = False) -> KnowledgeBase:
    """Load and validate every `*.yaml` file in `root`; raise KnowledgeError listing all problems.

    `settle` (unattended reloads): files changed within `limits.settle_seconds` are not read yet.
    """
    if not root.is_dir():
        raise KnowledgeError([f"{root}: -: knowledge folder not found"])
    try:
        kb = _Loader(root, limits or Limits(), settle).load()
    except Changing as exc:
        raise KnowledgeChanging([f"{root.name}: -: {exc}"]) from None
    log.debug("loaded %d facts from %s", len(kb.facts), root)
    return kb
