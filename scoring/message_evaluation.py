"""Precision and recall of message reading against messages labelled by hand.

The labelled file (tests/scoring/data/patient_messages.csv) holds messages written in patients'
words, not produced from `scoring.text`'s vocabulary, each with the signals a person reads in it.
Its `dev` rows may be looked at while the vocabulary changes; its `test` rows say how well the
vocabulary reads messages nobody tuned it on.

`python -m scoring.message_evaluation [FILE]` prints the table docs/scoring.md quotes.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from scoring.text import read_message

SIGNALS = {
    "urgent": "urgent",
    "insurance": "insurance",
    "no_insurance": "no_insurance",
    "cost": "price_shopping",
    "provider": "provider_request",
}
"""Column of the labelled file -> attribute of `MessageSignals`."""

PROVIDERS = (
    "Dr. Maria Chen",
    "Dr. James Okafor",
    "Dr. Priya Raman",
    "Dr. Daniel Brooks",
    "Dr. Elena Vasquez",
)
"""The providers the labelled messages may ask for (the demo practice Bright Smile Dental's)."""

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "tests" / "scoring" / "data" / "patient_messages.csv"


def load_messages(path: Path = DEFAULT_FILE) -> list[dict[str, str]]:
    """The labelled messages as rows (`set`, one 0/1 column per signal, `message`)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def evaluate_reading(
    rows: Iterable[Mapping[str, str]], provider_names: Sequence[str] = PROVIDERS
) -> dict[str, dict[str, float]]:
    """Per signal: true/false positives, false negatives, precision and recall."""
    counts = {name: {"tp": 0, "fp": 0, "fn": 0} for name in SIGNALS}
    for row in rows:
        read = read_message(row["message"], provider_names)
        for column, attribute in SIGNALS.items():
            said, found = row[column] == "1", getattr(read, attribute)
            key = "tp" if said and found else "fp" if found else "fn" if said else None
            if key:
                counts[column][key] += 1
    return {
        name: {
            **c,
            "precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan"),
            "recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan"),
        }
        for name, c in counts.items()
    }


def misses(rows: Iterable[Mapping[str, str]], provider_names: Sequence[str] = PROVIDERS) -> list[str]:
    """Every disagreement, as `signal: +/- message` lines (for tuning on the dev rows)."""
    out = []
    for row in rows:
        read = read_message(row["message"], provider_names)
        for column, attribute in SIGNALS.items():
            said, found = row[column] == "1", getattr(read, attribute)
            if said != found:
                out.append(f"{column}: {'missed' if said else 'wrongly'} | {row['message']}")
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
    rows = load_messages(path)
    print("| signal | set | messages with it | precision | recall |")
    print("|---|---|---|---|---|")
    for part in ("dev", "test"):
        chosen = [r for r in rows if r["set"] == part]
        for name, figures in evaluate_reading(chosen).items():
            print(
                f"| {name} | {part} ({len(chosen)}) | {figures['tp'] + figures['fn']} | "
                f"{figures['precision']:.2f} | {figures['recall']:.2f} |"
            )
    if "--misses" in sys.argv:
        print("\n".join(misses([r for r in rows if r["set"] == "dev"])))


if __name__ == "__main__":
    main()
