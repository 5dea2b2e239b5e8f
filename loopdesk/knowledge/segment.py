"""Chinese segmentation with jieba and the administrator's dictionary (no ORM).

Segmentation runs on jieba-rs (the `rjieba` binding: jieba's algorithm and dictionary in Rust, the
same tokens as Python's jieba, ~17× faster; decision 0005). Python's jieba stays for its TF-IDF
keyword extraction (assist.similar), which gets the same words through `Dictionary.python_jieba`.

Index side: jieba's search mode (words plus their dictionary sub-words) for title and body, and every
CJK character on its own, so queries of one character and words jieba split differently still match.
A code with a trailing + or # ("U8+") is indexed with and without it.
Query side: jieba's precise mode; each Chinese word matches either the word or all of its characters,
the last word, if ASCII, is a prefix (it is being typed), each word is OR-ed with its synonyms. HMM is off on both sides: the two
segmentations then agree, and indexing is faster.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rjieba

# A token keeps letters, digits and + # . _ - (product codes "T+", "C#", versions "16.5"); the same
# characters are FTS5 token characters (migration 0002), so both databases see the same tokens.
_TOKEN = re.compile(r"[^\W_]+(?:[+#._\-]+[^\W_]*)*[+#]*", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII = re.compile(r"^[0-9a-z+#._\-]+$")
MAX_POSITIONS = 16000  # PostgreSQL positions stop at 16383

# Function words dropped from queries (never from the index): "怎么 打印 凭证" must not require 怎么.
STOP_WORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "或", "吗", "呢", "啊", "吧", "么", "怎么", "怎样", "如何", "什么", "为什么", "为何", "哪里", "怎么办", "请问", "一下", "时候", "时", "会", "能", "可以", "不能", "无法", "出现", "提示", "问题", "the", "a", "an", "of", "to", "is", "are", "how", "what", "why", "in", "on", "for", "and", "or"]
)


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def normalise(token: str) -> list[str]:
    """The index tokens inside one jieba token: lower-cased, punctuation removed."""
    return [m.group(0).strip(".-") for m in _TOKEN.finditer(token.lower()) if m.group(0).strip(".-")]


def _keep_whole(word: str, suggested: int) -> int:
    """The frequency that makes the segmenter keep an administrator's word whole."""
    return max(suggested, 20000)


class Dictionary:
    """The segmenter with the product-term dictionary, and the synonym groups, swapped in atomically.

    A segmenter in use is never changed (another thread may be cutting with it, and jieba-rs cannot
    delete a word): a load that changes the words builds a new one and swaps it in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: set[str] = set()
        self._segmenter: Any = None  # built on first use (its dictionary takes ~0.15 s to load)
        self.synonyms: dict[str, frozenset[str]] = {}
        self.stamp: object = None
        self._python_words: set[str] = set()

    def load(self, words: Iterable[str], groups: Iterable[Iterable[str]], stamp: object = None) -> None:
        with self._lock:
            words = {w.strip() for w in words if w and w.strip()}
            synonyms: dict[str, set[str]] = {}
            for group in groups:
                members = {w.strip().lower() for w in group if w and w.strip()}
                words |= {w.strip() for w in group if w and w.strip()}
                for member in members:
                    synonyms.setdefault(member, set()).update(members)
            if words != self._words:
                segmenter = rjieba.Jieba()  # ~0.15 s: the dictionary changes when an administrator edits it
                for word in sorted(words):
                    segmenter.add_word(word, _keep_whole(word, segmenter.suggest_freq(word)), None)
                self._segmenter = segmenter
            self._words = words
            self.synonyms = {k: frozenset(v) for k, v in synonyms.items()}
            self.stamp = stamp

    @property
    def segmenter(self) -> Any:
        if self._segmenter is None:
            with self._lock:
                if self._segmenter is None:
                    self._segmenter = rjieba.Jieba()
        return self._segmenter

    def python_jieba(self) -> Any:
        """Python's jieba (for its keyword extraction) with the same words as the segmenter."""
        import jieba

        with self._lock:
            jieba.setLogLevel(logging.WARNING)
            for gone in self._python_words - self._words:
                jieba.del_word(gone)
            for word in self._words - self._python_words:
                jieba.add_word(word, freq=_keep_whole(word, jieba.suggest_freq(word)))
            self._python_words = set(self._words)
        return jieba


DICTIONARY = Dictionary()


@dataclass
class IndexText:
    """Space-joined tokens for the three indexed columns (title words, body words, characters)."""

    title: str
    body: str
    chars: str
    vector: str | None = None  # PostgreSQL's tsvector literal, when built ahead (index.tsvector_literal)


def index_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    append = tokens.append
    for piece in DICTIONARY.segmenter.cut_for_search(text, False):
        # Most pieces are plain words; only the rest need the regular expression.
        if piece.isalnum():
            append(piece.lower())
        elif not piece.isspace():
            for token in normalise(piece):
                append(token)
                core = token.rstrip("+#")
                if core != token and len(core) > 1:
                    append(core)  # "U8+" is found by "U8" as a whole word (only a query's last word is a prefix)
    return tokens[:MAX_POSITIONS]


def index_text(title: str, body: str) -> IndexText:
    """What to store for a document with `title` and `body`."""
    chars = _CJK.findall(title) + _CJK.findall(body)
    return IndexText(
        title=" ".join(index_tokens(title)),
        body=" ".join(index_tokens(body)),
        chars=" ".join(chars[:MAX_POSITIONS]),
    )


@dataclass
class QueryTerm:
    """One word of a query and what may stand for it: synonyms (any of them matches) and, for a
    Chinese word, its characters (all of them must match)."""

    word: str
    alternatives: list[str] = field(default_factory=list)  # the word and its synonyms
    chars: list[str] = field(default_factory=list)
    last: bool = False  # the query's last word: the one being typed

    @property
    def prefix(self) -> bool:
        # The word being typed matches as a prefix ("exc" finds "excel"); the words before it are
        # whole, as are a single letter and a number ("13" is not the start of every phone number).
        # A prefix makes PostgreSQL collect every match of every word it starts before intersecting.
        return self.last and len(self.word) > 1 and bool(_ASCII.match(self.word)) and not self.word.isdigit()


MAX_TERMS = 16


def query_terms(q: str, dictionary: Dictionary = DICTIONARY) -> list[QueryTerm]:
    """The terms of query `q` (at most MAX_TERMS), all of which a hit must match."""
    words: list[str] = []
    for piece in dictionary.segmenter.cut(q[:200], False):
        words.extend(normalise(piece))
    kept = [w for w in words if w not in STOP_WORDS] or words
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for word in kept:
        if word in seen:
            continue
        seen.add(word)
        alts = [word]
        for synonym in sorted(dictionary.synonyms.get(word, ())):
            # A synonym of several tokens ("加密 狗") stands as one token only when it normalises to one.
            tokens = normalise(synonym)
            if len(tokens) == 1 and tokens[0] not in alts:
                alts.append(tokens[0])
        chars = _CJK.findall(word) if len(word) > 1 and is_cjk(word) else []
        terms.append(QueryTerm(word=word, alternatives=alts, chars=chars))
    terms = terms[:MAX_TERMS]
    if terms:
        terms[-1].last = True
    return terms
