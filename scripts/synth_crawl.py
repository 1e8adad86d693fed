"""Synthetic crawls for ``newsprov collect``: news pages as WARC responses (warcio writes
them), with every kind of bad record a real crawl holds. Used by the collect tests and by
scripts/bench_collect.py; nothing of it is stored in the repository.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WORDS = ["council", "harbour", "budget", "minister", "river", "school", "hospital", "railway",
         "election", "court", "farmers", "storm", "bridge", "museum", "festival",
         "police", "union", "factory", "tariff", "drought", "vaccine", "airport", "mayor",
         "senate", "market", "energy", "housing", "water", "forest", "coast", "village",
         "university", "library", "league", "stadium", "report", "inquiry", "contract",
         "pension", "ferry", "tunnel", "wind", "solar"]
VERBS = ["approved", "rejected", "announced", "delayed", "opened", "closed", "reviewed", "funded",
         "expanded"]
FURNITURE = ["Home", "World", "Politics", "Business", "Sport", "Culture", "Subscribe",
             "Sign in", "Related stories", "Most read", "Cookie settings", "Newsletter"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 14))]
    words.insert(2, rng.choice(VERBS))
    day, year = rng.randint(1, 28), rng.randint(1990, 2025)
    return " ".join(words).capitalize() + f" on {day} March {year}."


def article_html(number: int, title: str | None = None) -> str:
    rng = random.Random(number)
    paragraphs = "\n".join(f"<p>{' '.join(sentence(rng) for _ in range(3))}</p>"
                           for _ in range(5))
    title = title or f"Report {number}: the {rng.choice(WORDS)} {rng.choice(VERBS)}"
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body>"
            f"<nav><ul>{''.join(f'<li><a href=/{i}>{w}</a></li>' for i, w in enumerate(FURNITURE))}"
            "</ul></nav>"
            f"<article><h1>{title}</h1>\n{paragraphs}\n</article>"
            "<footer>Copyright News Ltd</footer></body></html>")


def rewrite_html(number: int) -> str:
    """A content farm's rewrite of article ``number``: its paragraphs in another order under
    a new headline, with a paragraph of filler the source does not have."""
    source = article_html(number)
    paragraphs = source[source.index("<p>"):source.index("</article>")].split("\n")
    paragraphs = [p for p in paragraphs if p.startswith("<p>")]
    filler = ("<p>Experts say this could change everything for readers across the country. "
              "Stay tuned for more updates on this developing story from our team.</p>")
    body = "\n".join([paragraphs[2], paragraphs[0], filler, paragraphs[4], paragraphs[1]])
    title = f"You will not believe what happened in story {number}"
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><article><h1>{title}</h1>\n{body}\n"
            "</article></body></html>")


def write_pages_warc(path: Path, pages: list[tuple[str, str]]) -> None:
    """(url, html) responses."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        for url, html in pages:
            response(writer, url, html.encode(), "text/html; charset=utf-8")


def furniture_html() -> str:
    """A page with no article: navigation, banners and related links only."""
    links = "".join(f"<li><a href=/s/{i}>{w} {WORDS[i]}</a></li>"
                    for i, w in enumerate(FURNITURE * 3))
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Front page</title>"
            f"</head><body><nav><ul>{links}</ul></nav><div class=banner>Subscribe now</div>"
            f"<aside><h2>Related stories</h2><ul>{links}</ul></aside></body></html>")


def response(writer: WARCWriter, url: str, body: bytes, content_type: str,
             status: str = "200 OK") -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.0")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                  http_headers=headers))


def write_news_warc(path: Path, first: int, count: int) -> None:
    """``count`` good article responses, numbered from ``first``."""
    write_pages_warc(path, [(f"http://news.example/{number}", article_html(number))
                            for number in range(first, first + count)])


BAD_CASES = ("not-html", "binary-body", "too-large", "wrong-encoding", "no-article",
             "exact-duplicate", "not-a-page-record", "truncated-record")


def write_bad_warc(path: Path, first: int) -> dict[str, int]:
    """Two good articles, then one record of every bad case, the truncated one last (it cuts
    the file); the number of records of each expected outcome."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        response(writer, f"http://news.example/{first}", article_html(first).encode(),
                 "text/html; charset=utf-8")
        response(writer, f"http://news.example/{first + 1}", article_html(first + 1).encode(),
                 "text/html")
        response(writer, "http://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(300),
                 "image/png")
        response(writer, "http://news.example/blob", b"<html>" + bytes(range(256)) * 40,
                 "text/html")
        response(writer, "http://news.example/huge", b"<html><body><p>" + b"news " * (10 * 2**20)
                 + b"</p></body></html>", "text/html")
        # declared UTF-8, but Latin-1 bytes (0xe9 is not UTF-8 on its own)
        response(writer, "http://news.example/latin1",
                 article_html(first + 2, title="Caf\u00e9 r\u00e9sum\u00e9").encode("latin-1"),
                 "text/html; charset=utf-8")
        response(writer, "http://news.example/front", furniture_html().encode(), "text/html")
        response(writer, f"http://mirror.example/{first}", article_html(first).encode(),
                 "text/html")
        writer.write_record(writer.create_warc_record(
            "http://news.example/", "request", payload=io.BytesIO(b"GET / HTTP/1.0\r\n\r\n")))
        response(writer, f"http://news.example/{first + 3}", article_html(first + 3).encode(),
                 "text/html")
    data = path.read_bytes()
    path.write_bytes(data[:-400])          # the last record loses the end of its body
    return {"accepted": 2, **{case: 1 for case in BAD_CASES}}


def pages(count: int, first: int = 0) -> Iterator[tuple[str, str]]:
    for number in range(first, first + count):
        yield f"page-{number:05d}.html", article_html(number)
