"""Text layout shared by the quality tools: what is prose, where sentences and
quotations are, and word tokens with offsets.

The tools analyse the Markdown body as given, so every offset here is an
offset into the original string. Instead of rendering Markdown we *mask* it:
headings, code, tables, link targets, list markers and citation markers are
replaced by spaces of the same length, so the masked string lines up with the
original character for character and no offset ever needs translating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_THEMATIC_BREAK = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_ROW = re.compile(r"^\s*\|")
_BLOCK_MARKER = re.compile(r"^(\s*)(?:>\s?)*(?:[-*+]\s+|\d{1,3}[.)]\s+)?")
_CITATION = re.compile(r"\[\s*S\d+(?:\s*[,;]\s*S?\d+)*\s*\]", re.IGNORECASE)
_CITATION_LABEL = re.compile(r"S?(\d+)", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"(\[)[^\]\n]*(\]\([^)\n]*\))")  # keep the link text, blank "[" and "](url)"
_URL = re.compile(r"<?https?://[^\s>)]+>?")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^>\n]*>", re.DOTALL)
_EMPHASIS = re.compile(r"\*+|~~|(?<!\w)_+|_+(?!\w)")

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by space,
# or at a full stop with no space between a lower-case word and a capitalised
# one ("rose 7%.The council"), as pasted and scraped sources often have.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|(?<=[a-z%\d]{2})[.!?](?=[A-Z][a-z])")
# Words that end in a period without ending the sentence. Lower case, no dot.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st ave blvd rd mt ft jr sr gov sen rep lt sgt capt gen col cmdr det insp supt prof "
    "co corp inc ltd llc bros no vs etc approx dept univ est "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)

OPEN_QUOTES = '"“'
CLOSE_QUOTES = '"”'
OPEN_SINGLE_QUOTE = "‘"
CLOSE_SINGLE_QUOTE = "’"

_WORD = re.compile(r"[A-Za-z0-9]+(?:[’'.,\-][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str  # as written
    norm: str  # lower case, curly apostrophes straightened

    @property
    def is_capitalized(self) -> bool:
        return self.text[:1].isupper()


@dataclass(frozen=True)
class Layout:
    """Where the prose is in one text. `masked` has the same length as the text."""

    text: str
    masked: str
    unquoted: str  # masked, with the words inside quotation marks blanked too
    sentences: tuple[Span, ...]
    quotes: tuple[Span, ...]  # inner spans of quoted passages (without the marks)
    citations: tuple[tuple[Span, tuple[str, ...]], ...]  # marker span and the labels it cites

    def in_quote(self, start: int, end: int) -> bool:
        return any(q.start <= start and end <= q.end for q in self.quotes)

    def quotes_in(self, start: int, end: int) -> list[Span]:
        return [q for q in self.quotes if start <= q.start and q.end <= end]

    def citations_between(self, start: int, end: int) -> list[str]:
        labels: list[str] = []
        for span, cited in self.citations:
            if start <= span.start < end:
                labels.extend(label for label in cited if label not in labels)
        return labels


def normalize_word(word: str) -> str:
    return word.replace("’", "'").lower()


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Word tokens of text[start:end] with offsets into text. Hyphenated words,
    contractions and numbers with separators ("1,200", "3.5") stay whole."""
    stop = len(text) if end is None else end
    return [
        Token(m.start(), m.end(), m.group(), normalize_word(m.group()))
        for m in _WORD.finditer(text, start, stop)
    ]


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def mask_markdown(text: str, code_spans: bool = True) -> tuple[str, list[Span]]:
    """Blank out everything that is not prose; return the masked text and the
    prose blocks (paragraphs, list items, quote lines) as spans. With
    code_spans=False backticks are left as written: in a source document
    they are typography (``quoted''), not inline code."""
    chars = list(text)
    blocks: list[Span] = []
    in_fence = False
    block_start: int | None = None
    previous_line: Span | None = None  # last prose line, for setext headings
    offset = 0

    def close_block(end: int) -> None:
        nonlocal block_start
        if block_start is not None and end > block_start:
            blocks.append(Span(block_start, end))
        block_start = None

    for line in text.splitlines(keepends=True):
        line_start, line_end = offset, offset + len(line.rstrip("\r\n"))
        offset += len(line)
        body = text[line_start:line_end]
        if _FENCE.match(body):
            close_block(line_start)
            in_fence = not in_fence
            _blank(chars, line_start, line_end)
            previous_line = None
            continue
        if _SETEXT_UNDERLINE.match(body) and previous_line is not None:
            # The prose line just above was a heading, not a paragraph.
            _blank(chars, line_start, line_end)
            _blank(chars, previous_line.start, previous_line.end)
            if block_start == previous_line.start:
                block_start = None
            else:
                close_block(previous_line.start)
            previous_line = None
            continue
        if in_fence or _ATX_HEADING.match(body) or _TABLE_ROW.match(body) or _THEMATIC_BREAK.match(body):
            close_block(line_start)
            _blank(chars, line_start, line_end)
            previous_line = None
            continue
        if not body.strip():
            close_block(line_start)
            previous_line = None
            continue
        marker = _BLOCK_MARKER.match(body)
        has_marker = marker is not None and marker.end() > len(marker.group(1))
        if has_marker:
            close_block(line_start)
            _blank(chars, line_start, line_start + marker.end())
        if block_start is None:
            block_start = line_start
        previous_line = Span(line_start, line_end)
    close_block(len(text))

    masked = "".join(chars)
    for pattern in (_IMAGE, _CITATION, _LINK, _URL, _INLINE_CODE, _HTML, _EMPHASIS):
        if pattern is _INLINE_CODE and not code_spans:
            continue
        for m in pattern.finditer(masked):
            if pattern is _LINK:
                _blank(chars, m.start(1), m.end(1))
                _blank(chars, m.start(2), m.end(2))
            else:
                _blank(chars, m.start(), m.end())
        masked = "".join(chars)
    return masked, blocks


def find_quotes(masked: str, blocks: list[Span]) -> list[Span]:
    """Inner spans of quoted passages within a block: double quotes, straight or
    curly, and curly single quotes.
    A quote left open at the end of a paragraph runs to the paragraph's end (the
    news convention for a quote that continues in the next paragraph)."""
    quotes: list[Span] = []
    for block in blocks:
        opened: int | None = None
        for i in range(block.start, block.end):
            ch = masked[i]
            if opened is None and ch in OPEN_QUOTES:
                opened = i + 1
            elif opened is not None and ch in CLOSE_QUOTES:
                if i > opened:
                    quotes.append(Span(opened, i))
                opened = None
        if opened is not None and masked[opened:block.end].strip():
            quotes.append(Span(opened, opened + len(masked[opened:block.end].rstrip())))
    return sorted(quotes + _single_quotes(masked, blocks, quotes), key=lambda q: q.start)


def _single_quotes(masked: str, blocks: list[Span], double: list[Span]) -> list[Span]:
    """Curly single-quoted passages (‘…’, the British and headline style)
    outside double quotes. ’ is also the apostrophe, so a passage closes only
    at a ’ not followed by a letter ("Trump’s" stays inside); a mark
    before a digit (‘90s) and one with no close in its paragraph open nothing."""
    quotes: list[Span] = []
    for block in blocks:
        i = block.start
        while i < block.end:
            if masked[i] != OPEN_SINGLE_QUOTE or (i > block.start and masked[i - 1].isalnum()) or (
                    i + 1 < block.end and masked[i + 1].isdigit()) or any(q.start <= i < q.end for q in double):
                i += 1
                continue
            close = next((j for j in range(i + 1, block.end) if masked[j] == CLOSE_SINGLE_QUOTE
                          and not (j + 1 < block.end and masked[j + 1].isalpha())), None)
            if close is None:
                break
            if sum(ch.isalpha() for ch in masked[i + 1:close]) >= 2:  # not rock ‘n’ roll
                quotes.append(Span(i + 1, close))
            i = close + 1
    return quotes


def _is_abbreviation(masked: str, period: int) -> bool:
    """True when the '.' at `period` closes an abbreviation or an initial."""
    m = re.search(r"([A-Za-z]+)\.?$", masked[max(0, period - 12):period])
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1:  # initials ("John F. Kennedy") and "U.S."
        return True
    return word.lower() in _ABBREVIATIONS


def split_sentences(masked: str, blocks: list[Span], quotes: list[Span]) -> list[Span]:
    """Sentence spans inside prose blocks. A sentence never ends inside a
    quotation, so '"We are thrilled. It is great," she said.' stays one
    sentence with its attribution."""
    sentences: list[Span] = []
    for block in blocks:
        start = block.start
        for m in _SENTENCE_END.finditer(masked, block.start, block.end):
            boundary = m.end()
            if any(q.start < boundary <= q.end for q in quotes):
                continue
            punct = m.group()
            if punct.startswith(".") and len(punct.rstrip("\"'”’)]")) == 1 and _is_abbreviation(masked, m.start()):
                continue
            following = masked[boundary:block.end].lstrip()
            if following[:1].islower() and not _clearly_ends(masked, m.start(), punct):
                continue
            sentences.extend(_trimmed(masked, start, boundary))
            start = boundary
        sentences.extend(_trimmed(masked, start, block.end))
    return sentences


def _clearly_ends(masked: str, position: int, punct: str) -> bool:
    """A sentence that ends before a lower-case word ("... last year. the
    council then ..."), as transcripts and scraped text have: a single . ! or ?
    right after a word or figure, with no closing quote (an attribution such as
    '"Help!" she said' goes on) and no ellipsis. Abbreviations and initials
    were ruled out before this is asked."""
    return len(punct) == 1 and position > 0 and (masked[position - 1].isalnum() or masked[position - 1] in "%)")


def _trimmed(masked: str, start: int, end: int) -> list[Span]:
    segment = masked[start:end]
    stripped = segment.strip()
    if not stripped or not re.search(r"[A-Za-z0-9]", stripped):
        return []
    lead = len(segment) - len(segment.lstrip())
    return [Span(start + lead, start + lead + len(stripped))]


def find_citations(text: str) -> list[tuple[Span, tuple[str, ...]]]:
    return [
        (Span(m.start(), m.end()), tuple(f"S{n}" for n in _CITATION_LABEL.findall(m.group())))
        for m in _CITATION.finditer(text)
    ]


@lru_cache(maxsize=16)
def layout(text: str, code_spans: bool = True) -> Layout:
    """The layout of one text. Cached because analyze_text runs four tools over
    the same body and each needs the same sentences and quotations.
    code_spans=False for source documents (see mask_markdown)."""
    masked, blocks = mask_markdown(text, code_spans)
    quotes = find_quotes(masked, blocks)
    sentences = split_sentences(masked, blocks, quotes)
    unquoted = list(masked)
    for quote in quotes:
        _blank(unquoted, quote.start, quote.end)
    return Layout(text, masked, "".join(unquoted), tuple(sentences), tuple(quotes), tuple(find_citations(text)))


# Function words ignored by retrieval and coverage. Short on purpose: words
# like "not", "no", "more" and "less" carry meaning for fact checks.
STOPWORDS = frozenset(
    """a an the and or but if then than that this these those there their they them it its is are was
    were be been being am do does did has have had having of in on at by for from to with as into onto
    about over under after before between during through up out off so such very can could will would
    shall should may might must also just which who whom whose what when where while how why he she his
    her him we our us you your i me my mine ours yours s t said says say according""".split()
)


@lru_cache(maxsize=65536)  # the same few thousand words recur in every source and claim
def stem(word: str) -> str:
    """A deliberately small suffix stripper: the same rule on both sides of a
    comparison is what matters, not linguistic accuracy."""
    w = word.lower().replace("'", "").replace("’", "")
    if len(w) <= 3 or w[0].isdigit():
        return w
    if w.endswith(("ies", "ied")) and len(w) >= 5:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ness") and len(w) >= 6:
        w = w[:-4]
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    elif w.endswith("ly") and len(w) >= 6:
        w = w[:-2]
    elif w.endswith(("sses", "xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) >= 4:
        w = w[:-1]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":  # planned -> plann -> plan
        w = w[:-1]
    return w[:-1] if len(w) >= 4 and w.endswith("e") else w


def content_terms(tokens: list[Token]) -> list[str]:
    """Stemmed non-stopword terms, hyphenated words split into their parts."""
    terms: list[str] = []
    for token in tokens:
        for part in token.norm.split("-"):
            part = part.strip(".,'")
            if part and part not in STOPWORDS:
                terms.append(stem(part))
    return terms
