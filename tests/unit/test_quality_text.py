"""Layout: Markdown masking, sentences, quotations and citations keep offsets into the original."""

from engine.quality.text import layout, stem, tokenize

ARTICLE = """# Council approves budget

The council voted 5-2 on Tuesday [S1]. "This is a disaster. We warned them," said Mayor Lee.
Dr. Ann Smith of the U.S. Dept. of Energy spoke at 7 a.m. on Jan. 5 about [the plan](https://example.org/plan).

Heading in setext style
-----------------------

- A list item ends here. [S2, S3]
"""


def sentences(text: str) -> list[str]:
    lay = layout(text)
    return [text[s.start:s.end] for s in lay.sentences]


def test_masked_text_lines_up_with_the_original() -> None:
    lay = layout(ARTICLE)
    assert len(lay.masked) == len(ARTICLE)
    assert "Council approves budget" not in lay.masked  # ATX heading
    assert "Heading in setext style" not in lay.masked
    assert "[S1]" not in lay.masked and "https://" not in lay.masked
    assert "the plan" in lay.masked  # link text stays prose


def test_sentences_skip_headings_and_respect_quotes_and_abbreviations() -> None:
    assert sentences(ARTICLE) == [
        "The council voted 5-2 on Tuesday [S1].",
        '"This is a disaster. We warned them," said Mayor Lee.',
        "Dr. Ann Smith of the U.S. Dept. of Energy spoke at 7 a.m. on Jan. 5 about [the plan](https://example.org/plan).",
        "A list item ends here.",
    ]


def test_quotes_and_citations() -> None:
    lay = layout(ARTICLE)
    assert [ARTICLE[q.start:q.end] for q in lay.quotes] == ["This is a disaster. We warned them,"]
    last = lay.sentences[-1]
    assert lay.citations_between(last.start, len(ARTICLE)) == ["S2", "S3"]


def test_curly_quotes_and_a_quote_left_open_at_paragraph_end() -> None:
    text = "\u201cWe will not raise taxes,\u201d she said.\n\n\u201cThe quote goes on\n\nNext paragraph."
    lay = layout(text)
    assert [text[q.start:q.end] for q in lay.quotes] == ["We will not raise taxes,", "The quote goes on"]


def test_tokens_keep_hyphens_numbers_and_contractions() -> None:
    assert [t.norm for t in tokenize("So-called $1,200.50 don\u2019t 5-2")] == ["so-called", "1,200.50", "don't", "5-2"]


def test_stem_is_consistent_across_inflections() -> None:
    assert stem("rates") == stem("rate")
    assert stem("closing") == stem("closed") == stem("close")
    assert stem("injuries") == stem("injury")
    assert stem("planned") == stem("plans")


def test_a_sentence_ends_before_a_lower_case_word_and_at_a_full_stop_with_no_space() -> None:
    assert sentences("He left the room. then he came back.") == ["He left the room.", "then he came back."]
    assert sentences("Sales rose 7%.The council met.") == ["Sales rose 7%.", "The council met."]
    # Abbreviations, initials, attributions and ellipses still do not end a sentence.
    assert len(sentences("It was 7 a.m. on Jan. 5 when e.g. the mayor spoke.")) == 1
    assert sentences('"Help!" she cried. Then silence.') == ['"Help!" she cried.', "Then silence."]
    assert len(sentences("Wait... and then it went.")) == 1


def test_backticks_in_a_source_are_prose_not_code() -> None:
    text = "The report calls it `temporary`. The plan starts in May."
    source = layout(text, code_spans=False)
    assert "temporary" in source.masked
    assert [text[s.start:s.end] for s in source.sentences] == ["The report calls it `temporary`.", "The plan starts in May."]
    assert "temporary" not in layout(text).masked  # in a Markdown draft it is inline code
