"""Small text helpers for the offline stages: sentences, terms, slugs, readability."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# A sentence ends at . ! or ? (optionally followed by a closing quote, bracket or a
# citation such as [S2]) before whitespace and a capital, digit or opening quote.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d)])|(?<=\[S\d\])|(?<=\[S\d\d\]))\s+(?=[\"'\u201c(]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_NUMBER = re.compile(r"\d")
_CITATION = re.compile(r"\s*\[S\d+\]")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just let me more most my myself
new no nor not now of off on once only or other our ours ourselves out over own said same says she should
so some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves according told year years per one two three city county
""".split())


_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr prof gov sen rep no vs inc co corp ave blvd dept jan feb "
                           "mar apr aug sept sep oct nov dec u.s a.m p.m".split())


def split_sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text) if text else []:
        last_word = sentences[-1].rsplit(" ", 1)[-1].rstrip(".").lower() if sentences else ""
        # "voting no. The budget..." stays one piece too: the fact checker's sentences split the same way.
        if sentences and sentences[-1].endswith(".") and last_word in _ABBREVIATIONS:
            sentences[-1] = f"{sentences[-1]} {piece}"   # "Mr. Smith" is one sentence
        elif piece.strip():
            sentences.append(piece.strip())
    return sentences


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 2]


def top_terms(texts: Iterable[str], limit: int) -> list[str]:
    counts = Counter(w for text in texts for w in content_words(text))
    return [w for w, _ in counts.most_common(limit)]


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text))


def has_quote(text: str) -> bool:
    return '"' in text or "\u201c" in text


def strip_citations(text: str) -> str:
    return _CITATION.sub("", text)


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "article"


def _syllables(word: str) -> int:
    groups = re.findall(r"[aeiouy]+", word.lower())
    count = len(groups) - (1 if word.lower().endswith("e") and len(groups) > 1 else 0)
    return max(1, count)


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease (higher is easier; 60-70 is plain English)."""
    sentences = split_sentences(strip_citations(text))
    tokens = _WORD.findall(text)
    if not sentences or not tokens:
        return 0.0
    syllables = sum(_syllables(w) for w in tokens)
    score = 206.835 - 1.015 * (len(tokens) / len(sentences)) - 84.6 * (syllables / len(tokens))
    return round(max(0.0, min(100.0, score)), 1)


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary, adding an ellipsis when something was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.|Feb\.|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)"
# "CALDER BAY, June 10, 2026 - " and "WEXLEY COUNTY (AP) -- ": a place in capitals, perhaps a date, a dash.
_DATELINE = re.compile(rf"^(?P<place>[A-Z][A-Z.' ]+(?:, [A-Z][A-Za-z.]+)?)"
                       rf"(?:,? (?P<date>{_MONTH} \d{{1,2}})(?:, \d{{4}})?)?(?: \([A-Za-z]+\))?\s*[-\u2013\u2014]{{1,2}}\s+")
_AGENDA_ITEM = re.compile(r"^(?:Agenda )?Item\s+\d+[A-Za-z]?\s*[:.\-\u2013]\s*", re.IGNORECASE)
_TODAY = re.compile(r"\btoday\b")
_LONGEST_QUOTATION = 600   # characters


def strip_dateline(sentence: str) -> tuple[str, str | None]:
    """The sentence without a leading wire dateline, and the dateline's "June 10" if it had one."""
    match = _DATELINE.match(sentence)
    if not match:
        return sentence, None
    return sentence[match.end():], match.group("date")


def is_agenda_line(sentence: str) -> bool:
    """A minutes heading such as "Item 7: Adoption of the Operating Budget." (a title, not a sentence)."""
    return bool(_AGENDA_ITEM.match(sentence))


def date_for_today(sentence: str, date: str | None) -> str:
    """A release's "today" made absolute once its dateline is gone: "announced today" -> "announced on June 10"."""
    return _TODAY.sub(f"on {date}", sentence, count=1) if date else sentence


def quote_balanced(text: str) -> bool:
    """True when every quotation the text opens is closed (straight or curly double quotes)."""
    return text.count('"') % 2 == 0 and text.count("\u201c") <= text.count("\u201d")


def quoted_sentences(text: str) -> list[str]:
    """Sentences, except that a quotation running over several sentences stays one piece."""
    pieces: list[str] = []
    for sentence in split_sentences(text):
        # A stray quotation mark must not swallow the rest of the source: quotations run a few sentences.
        if pieces and not quote_balanced(pieces[-1]) and len(pieces[-1]) < _LONGEST_QUOTATION:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        else:
            pieces.append(sentence)
    return pieces


def overlap_similarity(first: str, second: str) -> float:
    """Token-set overlap of content words and figures: |A & B| / min(|A|, |B|), 0..1."""
    a, b = fact_tokens(first), fact_tokens(second)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


_FIGURE = re.compile(r"\d+-\d+\b|\$?\d[\d,.]*\d(?:\s*(?:million|billion|percent))?|\$?\d(?:\s*(?:million|billion|percent))?")


def figures(text: str) -> set[str]:
    """The numbers a sentence states ("$9.2 million", "5-2", "14"), normalised for comparison."""
    return {m.group(0).rstrip(".,").replace(",", "") for m in _FIGURE.finditer(strip_citations(text))}


def fact_tokens(text: str) -> set[str]:
    return set(content_words(text)) | figures(text)
