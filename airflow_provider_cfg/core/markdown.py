"""Text from users and from CFG made inert in the Markdown of the reports and plans.

An experiment's title, summary, issue, step and group titles, instance ids, execution logs and
check details are written by people (or echoed by CFG from what people wrote). Pasted as they are,
a newline starts a line of one's own (a forged ``**Verdict:** ✅ as expected`` above the real one),
``<img onerror=…>`` is raw HTML to a renderer that allows it, and an unclosed code fence swallows
the rest of the report. :func:`md_text` keeps such text on one line, as text; :func:`code_block`
fences lines so that nothing in them can close the fence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Inline Markdown and HTML: bold, code spans, links and images, table cells, tags, entities. ``_`` and ``~``
# are left alone: ids and logs are full of them, and at worst they italicise or strike a word.
_INLINE = str.maketrans({
    "\\": "\\\\", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]", "|": "\\|",
    "<": "&lt;", ">": "&gt;", "&": "&amp;",
})
# What makes a line a heading, list item, block quote or thematic break when it starts it.
_BLOCK_START = re.compile(r"^(?:[#+\-=]|(\d+)([.)])(?=\s|$))")


def md_text(value: Any, limit: int | None = None, *, line_start: bool = False) -> str:
    """``value`` as one line of plain text in Markdown (also safe in a table cell).

    Line breaks and tabs become spaces; Markdown and HTML characters are escaped; the text is cut
    to ``limit`` characters (before escaping) with ``…``. With ``line_start`` (the text begins a
    line, or a block quote's line), what would make it a heading or a list item is escaped too.
    """
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    text = text.translate(_INLINE)
    match = _BLOCK_START.match(text) if line_start else None
    if match is None:
        return text
    if match.group(1) is not None:  # "1. " / "1) ": an ordered list item
        return f"{match.group(1)}\\{match.group(2)}{text[match.end():]}"
    return "\\" + text


def code_block(lines: Iterable[Any], info: str = "") -> list[str]:
    """``lines`` in a fenced code block whose fence is longer than any run of backticks in them."""
    body = [str(line).replace("\r", " ") for line in lines]
    runs = [len(run) for line in body for run in re.findall(r"`+", line)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [fence + info, *(part for line in body for part in line.split("\n")), fence]
