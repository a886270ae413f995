"""A tiny, randomly initialised DistilBERT checkpoint for fast offline tests.

:func:`make_tiny_distilbert` writes a checkpoint folder that every ``Auto*`` class
loads like a hub model: ``AutoConfig``, ``AutoTokenizer`` (a fast WordPiece
tokenizer), ``AutoModel``, ``AutoModelForSequenceClassification`` and any other
DistilBERT task head (the weights are saved from the bare ``DistilBertModel``, so a
task head is freshly initialised on load, exactly as with ``distilbert-base-uncased``).

The model is small (``dim=32``, 2 layers, 2 heads, ``hidden_dim=64``) and its weights
are random (seeded), so it learns toy tasks in a few CPU seconds but knows nothing.
The vocabulary holds the special tokens, a few hundred lower-case English words
(those of the prompts built by :class:`skbucket.prompts.PromptBuilder`, simple
sentiment words, months and weekdays) and every ASCII letter, digit and punctuation
mark both as a word start and as a ``##`` continuation, so any ASCII text tokenises
without ``[UNK]`` (other characters become ``[UNK]``).

Usage in a test module::

    from _tiny_distilbert import make_tiny_distilbert

    @pytest.fixture(scope="session")
    def tiny_distilbert(tmp_path_factory):
        return make_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"))
"""

from __future__ import annotations

import string
from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

_WORD_TEXT = """
a about after again all also am an and any are around as at away back bad be because been
before best better big both but by can come could day did do does done down each even every
few find first for from get give go good got great had has have he her here him his how i if
in into is it its just know last like likes little long look made make many may me more most
much must my new next no not now of off old on one only or other our out over own part people
place post posted put right said same see she should show so some still such take tell than
that the their them then there these they thing think this those time to too two under up us
use very want was way we well were what when where which while who why will with work would
year yes you your
following information twitter tweet caption image content text inferred company username date
unknown morning afternoon evening night noon midnight hyperlink mention photo video gif media
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
zero three four five six seven eight nine ten eleven twelve
happy sad love hate excellent awful terrible wonderful nice poor amazing horrible fine
positive negative win lose best worst sale free news live today tomorrow week weekend
brand launch product offer deal watch read join share follow thank thanks
"""
WORDS = _WORD_TEXT.split()


def make_vocab() -> dict[str, int]:
    """Token -> id mapping of the tiny WordPiece vocabulary (special tokens first)."""
    tokens: list[str] = list(SPECIAL_TOKENS)
    chars = string.ascii_lowercase + string.digits + string.punctuation
    for token in [*WORDS, *chars, *("##" + c for c in chars)]:
        if token not in tokens:
            tokens.append(token)
    return {token: i for i, token in enumerate(tokens)}


def make_tiny_distilbert(path, *, seed: int = 0, max_position_embeddings: int = 512) -> str:
    """Write a tiny random DistilBERT checkpoint (model + fast tokenizer) into ``path``.

    Parameters
    ----------
    path : str or path-like
        Folder to write (created if needed).
    seed : int, default=0
        Seed of the random weights, so two calls give the same checkpoint.
    max_position_embeddings : int, default=512
        Longest sequence the model accepts (also the tokenizer's ``model_max_length``).

    Returns
    -------
    str
        ``path`` as a string, ready for ``from_pretrained``.
    """
    import torch
    from transformers import DistilBertConfig, DistilBertModel, DistilBertTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = make_vocab()
    # transformers 5: the tokenizer class *is* the fast (tokenizers-backed) one and takes
    # the vocabulary directly (a ``vocab_file`` argument may be ignored).
    tokenizer = DistilBertTokenizer(
        vocab=vocab, do_lower_case=True, model_max_length=max_position_embeddings
    )
    config = DistilBertConfig(
        vocab_size=len(vocab),
        dim=32,
        n_layers=2,
        n_heads=2,
        hidden_dim=64,
        max_position_embeddings=max_position_embeddings,
        pad_token_id=vocab["[PAD]"],
    )
    torch.manual_seed(seed)
    model = DistilBertModel(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


if __name__ == "__main__":  # pragma: no cover - manual helper
    import sys

    print(make_tiny_distilbert(sys.argv[1] if len(sys.argv) > 1 else "tiny-distilbert"))
