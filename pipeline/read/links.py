"""Links as the notes write them -> links the book can hold.

A link in the book goes to something in it (a heading, a footnote: ``#...``, checked when the
report's ids are known) or to an absolute ``http(s)``/``mailto`` address. Blog notes link
other things too: the author's other notes (``sessions/01.md``), paths on the blog's own site
(``/notice/2017/10/10/read-me/``), and web addresses typed without a scheme
(``[LLDB](lldb.llvm.org)``), which Markdown makes relative. Those are rewritten here, on the
tokens, before anything is rendered, so that the PDF, the EPUB and the preview agree:

- a bare host (``tech.kakao.com/...``) becomes ``https://tech.kakao.com/...``;
- a site path is resolved against the site the front matter names (``url:`` or
  ``base_url:``, as Jekyll and Hugo write them);
- anything else is not a link: its text stays, and each one is a warning
  (``link to "x" is not in the report; shown as plain text``), grouped in the summary as
  ``3 links to files not in the report (lines 35, 48, 61)``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from markdown_it.token import Token

from pipeline.read.notes import Notes

log = logging.getLogger(__name__)

SITE_KEYS = ("base_url", "baseurl", "baseURL", "url")
KEPT_SCHEMES = ("http", "https", "mailto")
# Top-level domains a bare host in notes ends with. A file name's extension is never one of
# them here (`.md` is Moldova's, `.py` Paraguay's, `.sh` Saint Helena's: left out on purpose).
TLDS = frozenset(
    "com org net io dev kr co ai app me so xyz edu gov info biz page tech cloud site blog "
    "jp cn tw hk us uk de fr ca au in eu ly gl gg to tv fm im sg vn id ru ch nl se no fi "
    "es it be at pl cz br mx nz ie il do".split()
)
BARE_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,12})(?::\d{1,5})?(?:[/?#].*)?$",
    re.I,
)
RAW_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


def site_of(notes: Notes) -> str | None:
    """The web site the notes were published on, from ``base_url:`` or ``url:``, or None."""
    for key in SITE_KEYS:
        value = notes.front_matter.get(key)
        if value in (None, ""):
            continue
        parsed = urlparse(str(value).strip())
        if parsed.scheme in ("http", "https") and parsed.netloc:
            return str(value).strip()
        line = notes.front_matter_lines.get(key, 1)
        log.warning(
            '%s:%d: front matter %s "%s" is not a web address; left out '
            "(hint: write the site as https://blog.example.com/)",
            notes.path,
            line,
            key,
            value,
        )
    return None


def is_bare_host(href: str) -> bool:
    """``lldb.llvm.org``, ``tech.kakao.com/2018/...``, ``www.example.com``: a web address
    written without its scheme (never ``notes.md`` or ``image.png``)."""
    found = BARE_HOST.match(href)
    return found is not None and (found["tld"].lower() in TLDS or href.lower().startswith("www."))


def resolve_link(href: str, site: str | None) -> str | None:
    """The address a link of the notes has in the book, or None when it has none."""
    href = href.strip()
    if not href or href.startswith("#"):
        return href  # empty: dropped quietly later; an anchor: checked against the ids
    if href.startswith("//"):
        return "https:" + href
    scheme = urlparse(href).scheme.lower()
    if scheme in KEPT_SCHEMES:
        return href
    if scheme and not is_bare_host(href):  # ftp:, file:, tel:, javascript:...
        return None
    if is_bare_host(href):
        return "https://" + href
    if site is not None:
        return urljoin(site, href)
    return None


def resolve_links(tokens: Iterable[Token], notes: Notes) -> None:
    """Rewrite, in place, every link of ``tokens`` (Markdown links and raw HTML ``<a>``) to
    its address in the book; a link with none loses its target, with a warning."""
    site = site_of(notes)
    line = 1
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        if token.type == "html_block":
            token.content = rewrite_raw(token.content, notes.path, line, site)
        children = token.children or []
        offset = 0
        for index, child in enumerate(children):
            if child.type in ("softbreak", "hardbreak"):
                offset += 1
            elif child.type == "html_inline":
                child.content = rewrite_raw(child.content, notes.path, line + offset, site)
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                target = resolve_link(href, site)
                if target is None:
                    if not wraps_itself(children, index, href):
                        warn_dropped(notes.path, line + offset, href)
                    target = ""
                child.attrs["href"] = target


def wraps_itself(children: list[Token], index: int, href: str) -> bool:
    """``[![x](a.png)](a.png)``: a picture linked to its own file, shown in the book anyway."""
    following = children[index + 1] if index + 1 < len(children) else None
    return (
        following is not None and following.type == "image" and following.attrs.get("src") == href
    )


def rewrite_raw(html: str, path: Path, line: int, site: str | None) -> str:
    """The ``href`` of each raw ``<a>`` rewritten as ``resolve_link`` says (empty: no link)."""

    def replace(found: re.Match[str]) -> str:
        href = found[2] if found[2] is not None else found[3] or found[4] or ""
        target = resolve_link(href, site)
        if target is None:
            warn_dropped(path, line + html.count("\n", 0, found.start()), href)
            target = ""
        return f'{found[1]}"{target.replace(chr(34), "%22")}"'

    return RAW_HREF.sub(replace, html)


def warn_dropped(path: Path, line: int, href: str) -> None:
    log.warning(
        '%s:%d: link to "%s" is not in the report; shown as plain text (hint: link the web '
        "address, https://..., or name the site in the front matter: url: https://...)",
        path,
        line,
        unquote(href),
    )
