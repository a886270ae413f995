"""Build a tiny, random BLIP-2 (OPT decoder) checkpoint on disk for tests and benchmarks.

``make_tiny_blip2(path)`` writes a folder that loads exactly like a hub checkpoint with
``Blip2Processor.from_pretrained(path)``, ``Blip2ForConditionalGeneration.from_pretrained(path)``
and ``transformers.pipeline("image-text-to-text", model=path)``, so the production code path
(load by name or local path) is the one under test. Nothing is downloaded.

The tokenizer is a word-level ``tokenizers`` model built from an in-memory vocabulary (a
``vocab_file`` argument can be silently ignored by transformers 5, so the vocabulary is passed
directly). The processor expands ``<image>`` into ``num_query_tokens`` image tokens in front of the
prompt, as the real ``Salesforce/blip2-*`` processors do since transformers 4.47.
"""

from __future__ import annotations

from pathlib import Path

#: Special tokens; ids follow the order here. OPT uses one id for BOS and EOS.
_SPECIALS = ["<pad>", "</s>", "<unk>", "<image>"]

#: Plain words for the generated captions (a random model picks among them).
_WORD_TEXT = (
    "a the an of on in with and at by to from photo picture image man woman dog cat car "
    "street city building tree sky water beach mountain road table plate food bowl cup "
    "person people group two three small large red blue green white black yellow orange "
    "sitting standing walking running holding looking near next top front behind inside "
    "outside sign logo text screen phone laptop computer game player ball field crowd stage "
    "flower garden house window door wall floor room kitchen bed chair bird horse boat train "
    "plane bus bike shirt hat glasses smiling talking playing riding eating drinking night "
    "day sunset light dark close view of"
)
_WORDS = _WORD_TEXT.split()

#: Preset sizes. ``"tiny"``: tests (fast, small images allowed). ``"bench"``: 224 px images
#: and a model big enough that compute dominates on CPU. ``"real-size"``: the
#: ``Salesforce/blip2-opt-2.7b`` architecture with random weights (GPU only, ~3.8e9 params).
PRESETS: dict[str, dict] = {
    "tiny": dict(
        image_size=32,
        patch_size=8,
        vision_hidden=32,
        vision_layers=2,
        vision_heads=2,
        qformer_hidden=32,
        qformer_layers=2,
        qformer_heads=2,
        text_hidden=32,
        text_layers=2,
        text_heads=2,
        num_query_tokens=4,
    ),
    "bench": dict(
        image_size=224,
        patch_size=16,
        vision_hidden=256,
        vision_layers=4,
        vision_heads=4,
        qformer_hidden=128,
        qformer_layers=2,
        qformer_heads=4,
        text_hidden=256,
        text_layers=4,
        text_heads=4,
        num_query_tokens=32,
    ),
    "real-size": dict(
        image_size=224,
        patch_size=14,
        vision_hidden=1408,
        vision_layers=39,
        vision_heads=16,
        vision_intermediate=6144,
        qformer_hidden=768,
        qformer_layers=12,
        qformer_heads=12,
        text_hidden=2560,
        text_layers=32,
        text_heads=32,
        num_query_tokens=32,
    ),
}


def _vocab() -> dict[str, int]:
    tokens = list(dict.fromkeys([*_SPECIALS, *_WORDS]))
    return {tok: i for i, tok in enumerate(tokens)}


def make_tokenizer():
    """Word-level fast tokenizer (BOS prepended like OPT's), vocabulary passed in memory."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = _vocab()
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    # OPT's tokenizer puts </s> (its BOS) in front of every text.
    backend.post_processor = processors.TemplateProcessing(
        single="</s> $A", pair="</s> $A </s> $B", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="</s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        padding_side="left",
        model_max_length=512,
    )


def make_tiny_blip2(path, preset: str = "tiny", seed: int = 0, **overrides) -> str:
    """Write a random ``Blip2ForConditionalGeneration`` + ``Blip2Processor`` to ``path``.

    Parameters
    ----------
    path : str or Path
        Folder to create (parents too).
    preset : {"tiny", "bench", "real-size"}, default="tiny"
        Size preset from :data:`PRESETS`.
    seed : int, default=0
        Seed for the random weights (same seed, same checkpoint).
    **overrides
        Keys of the preset to change, e.g. ``image_size=64``.

    Returns
    -------
    str
        The folder, usable as ``model=`` anywhere a hub name is.
    """
    import torch
    from transformers import (
        Blip2Config,
        Blip2ForConditionalGeneration,
        Blip2Processor,
        Blip2QFormerConfig,
        Blip2VisionConfig,
        BlipImageProcessorPil,
        OPTConfig,
    )

    p = {**PRESETS[preset], **overrides}
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer()
    vocab = _vocab()
    vocab_size = len(vocab)

    vision = Blip2VisionConfig(
        hidden_size=p["vision_hidden"],
        intermediate_size=p.get("vision_intermediate", 4 * p["vision_hidden"]),
        num_hidden_layers=p["vision_layers"],
        num_attention_heads=p["vision_heads"],
        image_size=p["image_size"],
        patch_size=p["patch_size"],
        # the class default (1e-10) would make every image look the same to the model
        initializer_range=0.02,
    )
    qformer = Blip2QFormerConfig(
        hidden_size=p["qformer_hidden"],
        num_hidden_layers=p["qformer_layers"],
        num_attention_heads=p["qformer_heads"],
        intermediate_size=4 * p["qformer_hidden"],
        encoder_hidden_size=p["vision_hidden"],
        vocab_size=vocab_size,
        pad_token_id=vocab["<pad>"],
        # a larger init lets the image (through cross-attention) move the query outputs
        initializer_range=0.2,
    )
    text = OPTConfig(
        vocab_size=vocab_size,
        hidden_size=p["text_hidden"],
        num_hidden_layers=p["text_layers"],
        ffn_dim=4 * p["text_hidden"],
        num_attention_heads=p["text_heads"],
        word_embed_proj_dim=p["text_hidden"],
        max_position_embeddings=512,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["</s>"],
        eos_token_id=vocab["</s>"],
        # untied output head: a random tied head just repeats its last input token (and BOS = EOS)
        tie_word_embeddings=False,
    )
    config = Blip2Config(
        vision_config=vision.to_dict(),
        qformer_config=qformer.to_dict(),
        text_config=text.to_dict(),
        num_query_tokens=p["num_query_tokens"],
        image_token_index=vocab["<image>"],
    )
    torch.manual_seed(seed)
    model = Blip2ForConditionalGeneration(config).eval()
    # Random init leaves the query tokens at zero; spread them (and the projection into the
    # decoder) so that different images give different greedy captions.
    with torch.no_grad():
        model.query_tokens.normal_(0.0, 1.0)
        model.language_projection.weight.mul_(5.0)
    model.generation_config.pad_token_id = vocab["<pad>"]
    model.generation_config.bos_token_id = vocab["</s>"]
    model.generation_config.eos_token_id = vocab["</s>"]

    image_processor = BlipImageProcessorPil(
        size={"height": p["image_size"], "width": p["image_size"]}
    )
    processor = Blip2Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        num_query_tokens=p["num_query_tokens"],
    )
    processor.save_pretrained(path)
    model.save_pretrained(path)
    return str(path)
