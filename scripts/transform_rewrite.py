"""Rewrite a text the way the seed rewrite was made from its source, for the source-finder
benchmark (scripts/bench_sourcefinder.py): the source is known by construction.

    python scripts/transform_rewrite.py SOURCE.txt [--seed 0] > REWRITE.txt

What the seed rewrite does, as rules: it keeps some of the source's sentences and reorders
them, paraphrases them with stock phrases, drops titles and dates, invents filler and claims
of its own (new names and numbers), adds Title-Case headings and pipe tables, and has
dropped spaces after full stops and lower-cased sentence starts. Every choice comes from
``random.Random(seed)``: the same source and seed give the same rewrite.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

from newsprov.annotate.source_index import sentences

KEEP_SHARE = 0.6           # of the source's sentences
PARAPHRASES = (            # (pattern, replacement): stock paraphrases
    (r"\bheld talks with\b", "engaged in discussions with"),
    (r"\bsigned an agreement with\b", "inked a deal with"),
    (r"\bpraised\b", "commended"),
    (r"\burged\b", "pressed"),
    (r"\baccused\b", "pointed the finger at"),
    (r"\brejected a proposal from\b", "said no to a plan put forward by"),
    (r"\bagreed to cooperate with\b", "committed to working alongside"),
    (r"\bsent aid to\b", "provided support to"),
    (r"\bthreatened\b", "warned"),
    (r"\bimposed sanctions on\b", "slapped sanctions on"),
    (r"\bsaid\b", "stated"),
    (r"\bofficials\b", "authorities"),
    (r", a deal worth\b", ", in a package valued at"),
    (r"\bdid not give further details\b", "declined to elaborate"),
    (r"\bthe talks\b", "the discussions"),
)
TITLE = re.compile(r"\b(?:Defence|Foreign|Prime|Deputy) Minister |\b(?:General|Ambassador|"
                   r"Senator|Chief of Staff) ")
DATE = re.compile(r" on (\d{1,2} [A-Z][a-z]+)")
FILLER = (
    "This development underscores the growing importance of the partnership.",
    "As both sides navigate the complexities of a changing global landscape, the "
    "discussions signal a proactive approach to cooperation.",
    "This marks a pivotal moment in bilateral relations.",
    "Observers note that the move could have far-reaching implications for the region.",
    "Stakeholders from both sides anticipate concrete advancements in the partnership.",
)
INVENTED = (  # claims of the rewrite's own: names and numbers the source does not have
    "Analysts estimate that trade could grow by {n} percent by {year}.",
    "A spokesperson for {org} said further meetings are planned in {place}.",
    "Some {n} delegates are expected to attend a follow-up summit in {year}.",
)
INVENTED_NAMES = {"org": ("the Regional Forum", "the Bilateral Council", "Harbour Watch"),
                  "place": ("Geneva", "Singapore", "Vienna", "Canberra")}
HEADINGS = ("Key Areas of Cooperation", "Evaluating the Strategic Importance of the Talks",
            "Challenges and Opportunities Ahead", "Future Prospects for Collaboration")
TABLE_HEADER = ("Focus Area | Potential Impact |", "---|---|")
TABLE_CELLS = ("Enhanced coordination", "Stronger ties", "Improved readiness",
               "Greater stability")


def paraphrase(sentence: str, rng: random.Random) -> str:
    for pattern, replacement in PARAPHRASES:
        sentence = re.sub(pattern, replacement, sentence)
    if rng.random() < 0.5:
        sentence = TITLE.sub("", sentence)
    date = DATE.search(sentence)
    if date and rng.random() < 0.5:  # the date to the front, or dropped
        rest = DATE.sub("", sentence, count=1)
        sentence = (f"On {date.group(1)}, {rest[0].lower()}{rest[1:]}"
                    if rng.random() < 0.5 else rest)
    return sentence


def miscase(sentence: str, rng: random.Random) -> str:
    if rng.random() < 0.12:
        return sentence[:1].lower() + sentence[1:]
    return sentence


def invented(rng: random.Random) -> str:
    return rng.choice(INVENTED).format(
        n=rng.randint(3, 90), year=rng.randint(2027, 2035),
        org=rng.choice(INVENTED_NAMES["org"]), place=rng.choice(INVENTED_NAMES["place"]))


def table(names: list[str], rng: random.Random) -> str:
    rows = [f"{name} | {rng.choice(TABLE_CELLS)} |" for name in names[:3]] or \
        [f"Cooperation | {rng.choice(TABLE_CELLS)} |"]
    return "\n".join([*TABLE_HEADER, *rows])


def transform(source: str, seed: int | str) -> str:
    """A seed-like rewrite of ``source``."""
    rng = random.Random(seed)
    kept = [s for s in sentences(source) if rng.random() < KEEP_SHARE] or \
        list(sentences(source))[:1]
    for _ in range(len(kept) // 3):  # reorder: swap neighbours here and there
        i = rng.randrange(max(1, len(kept) - 1))
        kept[i:i + 2] = kept[i:i + 2][::-1]
    pieces = [paraphrase(s, rng) for s in kept]
    for _ in range(max(2, len(pieces) // 3)):
        pieces.insert(rng.randint(0, len(pieces)),
                      rng.choice(FILLER) if rng.random() < 0.6 else invented(rng))
    names = sorted(set(re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", " ".join(kept))))
    lines: list[str] = []
    headings = list(HEADINGS)
    rng.shuffle(headings)
    while pieces:
        size = rng.randint(2, 4)
        paragraph, pieces = pieces[:size], pieces[size:]
        text = ""
        for sentence in map(lambda s: miscase(s, rng), paragraph):
            glue = "" if not text else ("" if rng.random() < 0.15 else " ")
            text += glue + sentence
        lines.append(text)
        if pieces and headings and rng.random() < 0.5:
            lines.append(headings.pop())
            if rng.random() < 0.4:
                lines.append(table(rng.sample(names, min(3, len(names))), rng))
    lines += ["In Conclusion", FILLER[-1]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.stdout.write(transform(args.source.read_text(encoding="utf-8"), args.seed) + "\n")


if __name__ == "__main__":
    main()
