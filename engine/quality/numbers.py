"""Quantities in news copy: money, percentages, votes, dates, times, years
and counts, normalised so "$3.2 million", "3.2 million dollars" and
"Forty-four" compare as numbers.

A count carries the word it counts ("120 jobs" -> unit "job"), because two
different numbers are only a contradiction when they measure the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from engine.quality.text import STOPWORDS, stem

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALE = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1e12,
          "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_NUMBER_WORD = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:-(?:" + "|".join(list(_SMALL)[1:10]) + r"))?|"
    + "|".join(_SMALL) + r"|a dozen|dozen)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A minus sign only where nothing is written before it: "1708-1765" and
# "2007-08" are ranges, not a number and a negative one. Scale words repeat:
# "five hundred million" is 5e8.
_NUMBER = (rf"(?:minus\s+|(?<![\w.,])-)?(?:{_DIGITS}|{_NUMBER_WORD})"
           r"(?:\s+(?:and\s+)?(?:hundred|thousand|million|billion|trillion)\b)*")
_MULTIPLIER = r"(?:\s*(?:million|billion|thousand|trillion)\b|[mbk]\b)?"

_MONEY = re.compile(rf"\$\s?({_DIGITS})({_MULTIPLIER})|({_DIGITS})(\s+(?:million|billion|thousand))?\s+dollars\b", re.I)
# "four in ten", "one out of five": a share, compared as a percentage.
_RATIO = re.compile(rf"\b({_NUMBER})\s+(?:in|out of)\s+({_NUMBER})\b(?!\s*(?:a\.m|p\.m|years?\b))", re.I)
_PERCENT_RANGE = re.compile(rf"\b({_DIGITS})\s?%?\s?(?:[-–—]|to)\s?({_DIGITS})\s*(%|percent\b|per cent\b)", re.I)
_PERCENT = re.compile(rf"\b({_NUMBER})\s*(%|percent\b|per cent\b|percentage points?\b)", re.I)
_VOTE = re.compile(r"\b(\d{1,2})-(\d{1,2})\b(?!\s*(?:inch|foot|feet|mile|year|story|stories|times?\b|hours?|days?|weeks?|months?|minutes?|%|percent))|\bunanimous(?:ly)?\b", re.I)
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.m\.|p\.m\.|am\b|pm\b)", re.I)
_DATE = re.compile(
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?(?:\s+(\d{1,2})\b(?!,\d))?"
)
_WEEKDAY = re.compile(r"\b(" + "|".join(w.capitalize() for w in _WEEKDAYS) + r")s?\b")
# "13 December", "the 13th of December": the same date as "December 13".
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
    r"Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b"
)
_YEAR = re.compile(r"\b(1[0-9]\d{2}|20\d{2})\b")
# "1708-1765", "2007-08", "4–5 times", "10 to 12 weeks": both ends, same unit.
_YEAR_RANGE = re.compile(r"\b(1[0-9]\d{2}|20\d{2})\s?[-–—/]\s?(\d{2}|\d{4})\b")
_RANGE = re.compile(rf"\b({_DIGITS})\s?(?:[-–—]|\s+to\s+)\s?({_DIGITS})\b(?!\s*(?:a\.m|p\.m))", re.I)
_COUNT = re.compile(rf"\b({_NUMBER})(?:-([A-Za-z]+))?", re.I)
_HEDGE = re.compile(r"\b(?:about|nearly|almost|roughly|approximately|around|some|more than|less than|over|under|up to|at least)\s+\$?$", re.I)
_WORD_AFTER = re.compile(r"[\s-]*([A-Za-z][A-Za-z'’-]*)")


# Units of measure: two counts in different ones are different quantities
# ("five years", "4-5 times"). Other counted nouns vary with the wording
# ("37 measles cases", "37 cases of measles") and are not compared.
MEASURES = frozenset(stem(w) for w in """time times year years decade decades century centuries month months
    week weeks day days night nights hour hours minute minutes second seconds mile miles kilometre kilometres
    kilometer kilometers metre metres meter meters foot feet inch inches pound pounds kilogram kilograms ton
    tons tonne tonnes degree degrees acre acres gallon gallons litre litres liter liters""".split())


@dataclass(frozen=True)
class Quantity:
    kind: str  # money, percent, vote, time, date, month, weekday, year, count
    value: float | str
    unit: str  # what a count counts (stemmed); "" for other kinds
    start: int
    end: int
    text: str
    hedged: bool  # "about 18,000": compare with a tolerance

    def same_value(self, other: Quantity) -> bool:
        if self.kind != other.kind:
            return False
        if self.kind == "count" and self.unit != other.unit and {self.unit, other.unit} <= MEASURES:
            return False  # "five years" is not confirmed by "4-5 times"
        if isinstance(self.value, str) or isinstance(other.value, str):
            return self.value == other.value
        tolerance = 0.1 if (self.hedged or other.hedged) else 1e-9
        return abs(self.value - other.value) <= tolerance * max(abs(self.value), abs(other.value), 1e-9)

    def comparable(self, other: Quantity) -> bool:
        """Do both measure the same kind of thing, so that different values conflict?"""
        if self.kind != other.kind:
            return False
        return self.kind != "count" or (bool(self.unit) and self.unit == other.unit)


def parse_number(text: str) -> float:
    """'1,200' -> 1200, 'Forty-four' -> 44, 'two million' -> 2e6, 'minus 8' -> -8."""
    words = text.lower().replace(",", "").split()
    sign = -1.0 if words and words[0] == "minus" else 1.0
    if words and words[0] == "minus":
        words = words[1:]
    if words and words[0].startswith("-"):
        sign, words[0] = -1.0, words[0][1:]
    if words[:2] == ["a", "dozen"]:
        words = ["12", *words[2:]]
    value = 0.0
    for word in words:
        if word in _SCALE:
            value = (value or 1) * _SCALE[word]
        elif word == "dozen":
            value = 12
        elif "-" in word and word.split("-")[0] in _TENS:
            tens, units = word.split("-", 1)
            value += _TENS[tens] + _SMALL.get(units, 0)
        elif word in _TENS:
            value += _TENS[word]
        elif word in _SMALL:
            value += _SMALL[word]
        else:
            value += float(word)
    return sign * value


def _unit_after(text: str, end: int) -> str:
    """The counted noun: the first content word after the number ("44 of the units" -> "unit")."""
    position = end
    for _ in range(3):
        m = _WORD_AFTER.match(text, position)
        if not m:
            return ""
        word = m.group(1).lower()
        if word not in STOPWORDS and word not in _SCALE:
            return stem(word)
        position = m.end()
    return ""


@lru_cache(maxsize=512)  # a claim's figures are asked for by several checks in turn
def extract_quantities(text: str) -> tuple[Quantity, ...]:
    found: list[Quantity] = []
    taken = [False] * len(text)

    def add(kind: str, value: float | str, start: int, end: int, unit: str = "") -> None:
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        hedged = kind == "percent" and _RATIO.match(text, start) is not None
        hedged = hedged or bool(_HEDGE.search(text[max(0, start - 16):start]))
        found.append(Quantity(kind, value, unit, start, end, text[start:end], hedged))

    for m in _MONEY.finditer(text):
        if m.group(1):
            multiplier = m.group(2).strip().lower()
            value = parse_number(m.group(1)) * _SCALE.get(multiplier, 1)
        else:
            value = parse_number(m.group(3)) * _SCALE.get((m.group(4) or "").strip().lower(), 1)
        add("money", value, m.start(), m.end())
    for m in _PERCENT_RANGE.finditer(text):
        add("percent", parse_number(m.group(1)), m.start(1), m.end(1))
        add("percent", parse_number(m.group(2)), m.start(2), m.end(3))
    for m in _PERCENT.finditer(text):
        add("percent", parse_number(m.group(1)), m.start(), m.end())
    for m in _RATIO.finditer(text):
        whole = parse_number(m.group(2))
        if whole > parse_number(m.group(1)) > 0:
            add("percent", round(100 * parse_number(m.group(1)) / whole, 1), m.start(), m.end())
    for m in _TIME.finditer(text):
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower().startswith("p") else 0)
        add("time", f"{hour:02d}:{m.group(2) or '00'}", m.start(), m.end())
    for m in _VOTE.finditer(text):
        if m.group(1):
            yes, no = int(m.group(1)), int(m.group(2))
            add("vote", "unanimous" if no == 0 else f"{yes}-{no}", m.start(), m.end())
        else:
            add("vote", "unanimous", m.start(), m.end())
    for m in _DAY_MONTH.finditer(text):
        month = _MONTHS[m.group(2)[:3].lower()]
        add("date", month * 100 + int(m.group(1)), m.start(), m.end())
        found.append(Quantity("month", month, "", m.start(), m.end(), m.group(), False))
    for m in _YEAR_RANGE.finditer(text):
        first, second = m.group(1), m.group(2)
        last = int(first[:2] + second) if len(second) == 2 else int(second)
        if last > int(first):
            add("year", float(first), m.start(1), m.end(1))
            add("year", float(last), m.start(2), m.end(2))
    for m in _RANGE.finditer(text):
        low, high = parse_number(m.group(1)), parse_number(m.group(2))
        if high > low and not any(taken[m.start():m.end()]):
            unit = _unit_after(text, m.end())
            add("count", low, m.start(1), m.end(1), unit)
            add("count", high, m.start(2), m.end(2), unit)
    for m in _DATE.finditer(text):
        month = _MONTHS[m.group(1)[:3].lower()]
        if m.group(1) == "May" and m.start() == 0:
            continue  # "May the council ..." at the start of a sentence is the verb
        if m.group(2):
            add("date", month * 100 + int(m.group(2)), m.start(), m.end())
            found.append(Quantity("month", month, "", m.start(), m.end(), m.group(), False))
        else:
            add("month", month, m.start(), m.end())
    for m in _WEEKDAY.finditer(text):
        add("weekday", _WEEKDAYS.index(m.group(1).lower()), m.start(), m.end())
    for m in _YEAR.finditer(text):
        add("year", float(m.group(1)), m.start(), m.end())
    for m in _COUNT.finditer(text):
        number = m.group(1)
        if number.lower() in {"one"} and not m.group(2):
            continue  # "one of the", "one by one": rarely a checkable count
        if m.start() >= 2 and text[m.start() - 1] == "-" and text[m.start() - 2].isalpha():
            continue  # part of a name: "COVID-19", "F-16"
        unit = stem(m.group(2).lower()) if m.group(2) else _unit_after(text, m.end())
        add("count", parse_number(number), m.start(), m.end(), unit)
    found.sort(key=lambda q: q.start)
    return tuple(found)
