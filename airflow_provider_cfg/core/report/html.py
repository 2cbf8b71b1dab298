"""The game-day report's Markdown as an HTML page, the way a reader sees it (CommonMark + tables,
as GitHub and most wikis render it): served by the UI plugin (``/cfg/report/…``) and checked in
Chromium by ``scripts/report_render.py``. Mermaid blocks become ``<pre class="mermaid">`` (drawn by
mermaid.js where a page loads it; shown as the chart's source otherwise). Raw HTML in the Markdown
is never passed through. ``markdown-it-py`` comes with Airflow (through ``rich``)."""

from __future__ import annotations

import re

_MERMAID_BLOCK = re.compile(r'<pre><code class="language-mermaid">(.*?)</code></pre>', re.S)
STYLE = """
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 24px auto; padding: 0 16px; color: #1f2328; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
pre { background: #f6f8fa; padding: 10px; overflow-x: auto; font-size: 12px; }
blockquote { border-left: 4px solid #d0d7de; margin: 0; padding: 0 12px; color: #59636e; }
pre.mermaid { background: none; }
"""
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>{style}</style></head>
<body>{body}</body></html>"""


def markdown_body(markdown: str) -> str:
    """The report's Markdown as an HTML fragment (no raw HTML passes through)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return _MERMAID_BLOCK.sub(lambda m: f'<pre class="mermaid">{m.group(1)}</pre>', body)


def to_html(markdown: str, *, title: str = "game-day report", before: str = "") -> str:
    """The report as a whole HTML page.

    :param title: the page title (escaped here).
    :param before: trusted HTML put above the report (a navigation line).
    """
    from html import escape

    return _PAGE.format(title=escape(title), style=STYLE, body=before + markdown_body(markdown))
