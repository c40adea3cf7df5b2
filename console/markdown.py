"""Markdown → safe HTML for Qt rich text, and where metric charts will be embedded.

Incident descriptions, notes and templates come from alerts and people alike, so the HTML is
built to be harmless whatever the input: raw HTML is never interpreted (it shows as text),
links survive only for http, https, mailto and `incident-console://`, and images become links
so nothing remote is fetched unless someone clicks. A line that holds only metrics links is
reported in `embed_rows` and rendered as a marked placeholder where a chart will go; what each
link asks for (`console.charts.embeds`) is listed in `embeds`.

Pure Python: no Qt here, so the same rendering serves the window, Slack and the tests.
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, AtomicString

from console.charts.embeds import Embed, parse_link

ALLOWED_SCHEMES = ("http://", "https://", "mailto:", "incident-console://")
MAX_EMBEDS = 100  # links per text that may become charts (PRODUCT C6)
EMBED_CLASS = "metrics-embed"

_URL_TOKEN = re.compile(r"<?(\S+?)>?")
_SEPARATORS = re.compile(r"[\s,]+")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BARE_URL = re.compile(r"(?<![\w/@])(?:https?://|incident-console://)[^\s<>\"'`]+")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_TASK = re.compile(r"^\[([ xX])\]\s+")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """HTML for a QTextBrowser and the 0-based source lines that hold only metrics links.

    `embed_links[n]` lists the links found on line `embed_rows[n]`, side by side as written;
    `embeds` holds one `Embed` per link, in the same order, each knowing its row.
    """

    html: str
    embed_rows: list[int]
    embed_links: list[list[str]] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)


def safe_url(url: str) -> str | None:
    """The URL if it may be followed, normalised the way a browser would read it; else None.

    Entities are decoded and control characters and whitespace removed first, because that
    is how `java&#x09;script:` or ` JaVaScRiPt:` would otherwise sneak past a prefix check.
    """
    decoded = html.unescape(url.replace(AMP_SUBSTITUTE, "&"))
    cleaned = _INVISIBLE.sub("", decoded)
    lowered = cleaned.lower()
    for scheme in ALLOWED_SCHEMES:
        if lowered.startswith(scheme) and len(cleaned) > len(scheme):
            return scheme + cleaned[len(scheme) :]
    return None


def is_metrics_link(url: str) -> bool:
    """Whether `url` is a complete chart link: Prometheus graph, Grafana panel or our own."""
    return safe_url(url) == url and parse_link(url) is not None


def metrics_links(line: str) -> list[str]:
    """The links of a line that holds nothing but metrics links (else an empty list)."""
    stripped = line.strip()
    if not stripped or line.startswith(("    ", "\t")):
        return []
    links = [_URL_TOKEN.fullmatch(token) for token in _SEPARATORS.split(stripped) if token]
    urls = [match.group(1) for match in links if match is not None]
    if len(urls) != len(links) or not all(is_metrics_link(url) for url in urls):
        return []
    return urls


def find_embeds(lines: list[str]) -> dict[int, list[str]]:
    """Line index → its metrics links, skipping fenced code, at most MAX_EMBEDS links."""
    found: dict[int, list[str]] = {}
    fence: str | None = None
    budget = MAX_EMBEDS
    for row, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        urls = metrics_links(line)
        if urls and len(urls) <= budget:
            found[row] = urls
            budget -= len(urls)
    return found


class _EmbedMarkers(Preprocessor):  # type: ignore[misc]  # Markdown ships no type hints
    """Swaps each embed line for a marker paragraph the tree pass turns into a placeholder."""

    def __init__(self, md: markdown.Markdown, state: _RenderState) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for row, line in enumerate(lines):
            if row in self.state.embeds:
                out += ["", self.state.marker(row), ""]
            else:
                out.append(line)
        return out


class _Sanitiser(Treeprocessor):  # type: ignore[misc]  # Markdown ships no type hints
    """Rewrites the tree: safe links, images as links, task lists, tables, embed placeholders."""

    def __init__(self, md: markdown.Markdown, state: _RenderState) -> None:
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        self._walk(root, inside_link=False)

    def _walk(self, parent: etree.Element, *, inside_link: bool) -> None:
        for index, original in enumerate(list(parent)):
            child = original
            marker = (child.text or "").strip()
            if child.tag == "p" and len(child) == 0 and marker in self.state.markers:
                row = self.state.markers[marker]
                self.state.placed.append(row)
                parent[index] = self._placeholder(row)
                continue
            if child.tag == "img":
                child = self._image_as_link(parent, index, child)
            if child.tag == "a":
                self._check_link(child, inside_link=inside_link)
            elif child.tag == "table":
                child.attrib.update({"border": "1", "cellspacing": "0", "cellpadding": "6"})
            elif child.tag in ("ul", "ol"):
                self._task_list(child)
            if child.tag not in ("pre", "code"):
                self._link_bare_urls(child, inside_link=inside_link or child.tag == "a")
            self._walk(child, inside_link=inside_link or child.tag == "a")

    def _check_link(self, link: etree.Element, *, inside_link: bool) -> None:
        url = safe_url(link.get("href", ""))
        title = link.get("title")
        link.attrib.clear()
        if url is None or inside_link:
            link.tag = "span"  # kept as plain text: the words stay, the target does not
            return
        link.set("href", url)
        if title:
            link.set("title", title)

    def _image_as_link(self, parent: etree.Element, index: int, image: etree.Element) -> Any:
        url = safe_url(image.get("src", ""))
        label = image.get("alt") or image.get("title") or url or "image"
        replacement = etree.Element("a" if url else "span")
        if url:
            replacement.set("href", url)
            replacement.set("title", "Image (not loaded): open it in the browser")
        replacement.text = f"[image: {label}]"
        replacement.tail = image.tail
        parent[index] = replacement
        return replacement

    def _task_list(self, listing: etree.Element) -> None:
        tasks = [self._task_item(item) for item in listing if item.tag == "li"]
        if tasks and all(tasks):
            # The boxes are the markers: bullets beside them would be noise.
            listing.set("style", "list-style-type: none")

    def _task_item(self, item: etree.Element) -> bool:
        loose = len(item) > 0 and item[0].tag == "p" and not (item.text or "").strip()
        holder = item[0] if loose else item
        match = _TASK.match(holder.text or "")
        if match is None:
            return False
        done = match.group(1) != " "
        holder.text = ("☑ " if done else "☐ ") + (holder.text or "")[match.end() :]
        item.set("class", "task-done" if done else "task")
        return True

    def _link_bare_urls(self, element: etree.Element, *, inside_link: bool) -> None:
        """Turns bare http(s) URLs in text into links (GitLab does; Python-Markdown does not)."""
        if inside_link:
            return
        self._link_text(element, "text", element)
        for index, child in enumerate(list(element)):
            self._link_text(child, "tail", element, after=index)

    def _link_text(
        self, owner: etree.Element, which: str, parent: etree.Element, after: int = -1
    ) -> None:
        text = getattr(owner, which)
        if not text or ("://" not in text) or isinstance(text, AtomicString):
            return
        pieces = list(_BARE_URL.finditer(text))
        if not pieces:
            return
        setattr(owner, which, text[: pieces[0].start()])
        position = after + 1
        for number, match in enumerate(pieces):
            url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
            end = match.start() + len(url)
            following = pieces[number + 1].start() if number + 1 < len(pieces) else len(text)
            safe = safe_url(url)
            link = etree.Element("a" if safe else "span")
            if safe:
                link.set("href", safe)
            link.text = url
            link.tail = text[end:following]
            parent.insert(position, link)
            position += 1

    def _placeholder(self, row: int) -> etree.Element:
        box = etree.Element("table")
        box.attrib.update(
            {
                "class": EMBED_CLASS,
                "width": "100%",
                "border": "1",
                "cellspacing": "0",
                "cellpadding": "10",
            }
        )
        cell = etree.SubElement(etree.SubElement(box, "tr"), "td")
        anchor = etree.SubElement(cell, "a")
        anchor.set("name", f"{EMBED_CLASS}-{row}")
        anchor.tail = "Metrics chart (shown here when charts load): "
        for number, url in enumerate(self.state.embeds[row]):
            safe = safe_url(url)
            link = etree.SubElement(cell, "a" if safe else "span")
            if safe:
                link.set("href", safe)
            link.text = url
            link.tail = ", " if number + 1 < len(self.state.embeds[row]) else ""
        return box


class _RenderState:
    """Per-render data: the embeds found and unguessable markers standing in for them."""

    def __init__(self, embeds: dict[int, list[str]]) -> None:
        self.embeds = embeds
        self.nonce = secrets.token_hex(8)
        self.markers = {self.marker(row): row for row in embeds}
        self.placed: list[int] = []

    def marker(self, row: int) -> str:
        return f"icembed{self.nonce}x{row}"


class _SafeConsoleMarkdown(Extension):  # type: ignore[misc]  # Markdown ships no type hints
    """Registers the console's treatment on a Markdown instance."""

    def __init__(self, state: _RenderState) -> None:
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Without these two, raw HTML would pass through; now it is escaped like any text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # After whitespace normalisation (30), before fenced code takes lines away (25).
        md.preprocessors.register(_EmbedMarkers(md, self.state), "metrics_embeds", 29)
        # Last, so every link and image any other pass produced is checked.
        md.treeprocessors.register(_Sanitiser(md, self.state), "console_sanitiser", -10)


def render(text: str, reference: datetime | None = None) -> RenderedMarkdown:
    """Render Markdown to safe Qt rich-text HTML, with metrics-link lines as placeholders.

    `reference` is the moment relative chart ranges end at (an alert's start); default now.
    """
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    embeds = find_embeds(source.split("\n"))
    state = _RenderState(embeds)
    converter = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", _SafeConsoleMarkdown(state)],
        output_format="html",
    )
    # Code blocks end with a newline that Qt would show as an empty last line.
    rendered = converter.convert(source).replace("\n</code></pre>", "</code></pre>")
    lines = source.split("\n")
    for marker, row in state.markers.items():
        if row not in state.placed:  # the line sat where no block could start: show it as text
            rendered = rendered.replace(marker, html.escape(lines[row].strip()))
    rows = sorted(state.placed)
    moment = reference or datetime.now(UTC)
    charts = [
        embed.at_row(row)
        for row in rows
        for embed in (parse_link(url, moment) for url in embeds[row])
        if embed is not None
    ]
    return RenderedMarkdown(rendered, rows, [embeds[row] for row in rows], charts)
