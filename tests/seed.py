"""Clean data out of the doc walkthrough ``tests/data/seed-cfg-api-examples.txt``.

The file is a scraped API walkthrough with doc artifacts. Nothing here hard-codes its data: every
value is read from the file. The cleaning steps, applied in this order, are:

1. ``_FIXES``: a few explicit, exact-once text replacements where the text is too broken for a
   generic rule (each quotes the file text it repairs).
2. Smart quotes (``”RequestId“``) become straight quotes; the doc's doubled escaping inside
   JSON-string values (``"{\\\\"max\\\\": 86400}"``) becomes single escaping
   (``"{\\"max\\": 86400}"``, the form of the official examples).
3. ``# comment`` outside a string runs to the next ``"``, ``{``, ``}``, ``[`` or ``]``, across
   lines: the one-token-per-line layout splits comments over several lines (``# Experiment name``
   / ``,`` / ``if it is not provided`` / …) and the single-line blocks glue them to the next key.
4. Line breaks inside a string are layout artifacts and are dropped (``"ins-xxxxxxxx⏎"``).
5. Bare words are quoted: unquoted keys (``Common:``) and values (``"ActionName": DNS tampering,``);
   ``true``/``false``/``null`` and numbers stay literals.
6. Trailing commas before ``}``/``]`` and repeated commas are dropped.

The file is cut into blocks at each ``POST / HTTP/1.1 … X-TC-Action: <Name> <Common request
parameters>`` header; in each block the top-level ``{…}`` values are, in order, the request body,
its response, and (only in the first block) the standalone ``DescribeActionFieldConfigList``
response. Prose between values (``API Output``, ``Was this page helpful?``) is ignored.
Responses are returned as the content of the ``Response`` envelope; the DescribeTask "API Output"
has no envelope and is returned as is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SEED_PATH = Path(__file__).parent / "data" / "seed-cfg-api-examples.txt"

# (file text, replacement): explicit repairs, each must occur exactly once in the file.
_FIXES: tuple[tuple[str, str], ...] = (
    # CreateTaskFromAction block: the comments are glued to the following unquoted key, so the
    # comment rule cannot tell where the comment ends; quote the key to end the comment there.
    ("# Action IDTaskInstances:", '# Action ID"TaskInstances":'),
    ("# Experiment nameTaskDescription:", '# Experiment name"TaskDescription":'),
    (
        "# Experiment descriptionTaskActionCustomConfiguration:",
        '# Experiment description"TaskActionCustomConfiguration":',
    ),
)

# Block header action name → corrected name, checked against the body. The doc labels the
# second request "CreateTaskFromTemplate", but its body (TaskActionId + TaskInstances) is a
# CreateTaskFromAction request.
_HEADER_CORRECTIONS: dict[int, tuple[str, str, str]] = {
    # block index: (header says, actually, body key proving it)
    1: ("CreateTaskFromTemplate", "CreateTaskFromAction", "TaskActionId"),
}

# The first block holds a third value: a DescribeActionFieldConfigList response (for action 466,
# "DNS tampering") printed between the CreateTaskFromTemplate exchange and the next request.
_STANDALONE_RESPONSES: dict[tuple[int, int], tuple[str, str]] = {
    # (block index, value index): (action, body key proving it)
    (0, 2): ("DescribeActionFieldConfigList", "Common"),
}

_HEADER = re.compile(
    r"POST / HTTP/\s*1\.1\s+Host.*?X-TC-Action\s*:\s*(?P<action>\w+)\s*<Common request parameters>",
    re.DOTALL,
)
_LITERAL = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null")
_STRUCTURAL = "{}[]:,"


@dataclass(frozen=True)
class SeedBlock:
    """One request block of the walkthrough, traceable to the file."""

    line: int
    """1-based line of the block's ``POST`` header in the seed file."""
    header_action: str
    """Action named by the header's ``X-TC-Action`` (as printed, possibly wrong)."""
    action: str
    """The action the request actually is."""
    values: tuple[Any, ...]
    """The top-level JSON values of the block, in file order (request first)."""


def _apply_fixes(text: str) -> str:
    for old, new in _FIXES:
        count = text.count(old)
        if count != 1:
            raise ValueError(f"seed fix target {old!r} found {count} times, expected once")
        text = text.replace(old, new)
    return text


def _normalise_chars(text: str) -> str:
    text = text.replace("\u201c", '"').replace("\u201d", '"')  # “ ” → "
    return text.replace('\\\\"', '\\"')  # doubled escaping \\" → \"


def _strip_comments(text: str) -> str:
    """Drop ``#`` comments (to the next quote/bracket) and line breaks inside strings."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\" and i + 1 < n:
                out.append(text[i : i + 2])
                i += 2
                continue
            if ch == '"':
                in_string = False
            if ch not in "\r\n":
                out.append(ch)
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif ch == "#":
            while i < n and text[i] not in '"{}[]':
                i += 1
            out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _top_level_objects(text: str) -> list[str]:
    """The top-level ``{…}`` spans of ``text`` (strings respected); text between is ignored."""
    spans: list[str] = []
    depth, start, in_string, i = 0, -1, False, 0
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            if depth:
                in_string = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
        i += 1
    if depth:
        raise ValueError("unbalanced braces in seed block")
    return spans


def _to_json(span: str) -> str:
    """Quote bare words and drop trailing/repeated commas in one cleaned ``{…}`` span."""
    out: list[str] = []

    def last() -> str:
        for piece in reversed(out):
            if piece.strip():
                return piece.strip()[-1]
        return ""

    i, n = 0, len(span)
    while i < n:
        ch = span[i]
        if ch == '"':
            j = i + 1
            while span[j] != '"':
                j += 2 if span[j] == "\\" else 1
            out.append(span[i : j + 1])
            i = j + 1
        elif ch in "}]":
            if last() == ",":
                idx = max(k for k, piece in enumerate(out) if piece.strip())
                del out[idx]
            out.append(ch)
            i += 1
        elif ch == ",":
            if last() not in ",[{":
                out.append(ch)
            i += 1
        elif ch in _STRUCTURAL or ch.isspace():
            out.append(ch)
            i += 1
        else:
            j = i
            while j < n and span[j] not in _STRUCTURAL and span[j] != '"':
                j += 1
            word = span[i:j].strip()
            out.append(word if _LITERAL.fullmatch(word) else json.dumps(word, ensure_ascii=False))
            i = j
    return "".join(out)


def _parse_values(body: str) -> tuple[Any, ...]:
    cleaned = _strip_comments(_normalise_chars(body))
    return tuple(json.loads(_to_json(span)) for span in _top_level_objects(cleaned))


def _unwrap(response: dict[str, Any]) -> dict[str, Any]:
    """The content of the ``Response`` envelope (a bare "API Output" is returned as is)."""
    if set(response) == {"Response"}:
        return response["Response"]
    return response


@cache
def seed_blocks() -> tuple[SeedBlock, ...]:
    """Every request block of the seed file, cleaned and parsed."""
    text = _apply_fixes(SEED_PATH.read_text(encoding="utf-8"))
    headers = list(_HEADER.finditer(text))
    blocks = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        values = _parse_values(text[header.end() : end])
        header_action = action = header["action"]
        if index in _HEADER_CORRECTIONS:
            says, actually, proof = _HEADER_CORRECTIONS[index]
            if header_action != says or proof not in values[0]:
                raise ValueError(f"seed block {index}: header correction no longer applies")
            action = actually
        blocks.append(
            SeedBlock(
                line=text.count("\n", 0, header.start()) + 1,
                header_action=header_action,
                action=action,
                values=values,
            )
        )
    return tuple(blocks)


def seed_exchanges() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(action, request params, response content)`` for every request of the walkthrough."""
    return [(b.action, b.values[0], _unwrap(b.values[1])) for b in seed_blocks()]


def seed_standalone_responses() -> list[tuple[str, dict[str, Any]]]:
    """``(action, response content)`` for responses printed without their request."""
    result = []
    blocks = seed_blocks()
    for (block_index, value_index), (action, proof) in _STANDALONE_RESPONSES.items():
        response = _unwrap(blocks[block_index].values[value_index])
        if proof not in response:
            raise ValueError(f"seed standalone response {action}: marker {proof!r} missing")
        result.append((action, response))
    return result


def seed_responses() -> list[tuple[str, dict[str, Any]]]:
    """``(action, response content)`` for every response in the file."""
    return [(a, resp) for a, _, resp in seed_exchanges()] + seed_standalone_responses()


def seed_exchange(action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(request params, response content)`` of the (single) exchange of ``action``."""
    matches = [(req, resp) for a, req, resp in seed_exchanges() if a == action]
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} seed exchanges for {action!r}")
    return matches[0]
