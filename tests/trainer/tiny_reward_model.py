"""A tiny reward model for the tests of every stage that takes `--judge rm:RUN`: a random 2-layer BERT
(hidden 32) with the embedded MiniLM's tokenizer, which `delib train judge` fine-tunes in seconds, and a
run folder in `delib train judge`'s layout (`final/`, `run.json`) made from it without training.

Import as `from tests.trainer.tiny_reward_model import ...`."""

from __future__ import annotations

import shutil
from pathlib import Path


def tiny_encoder(out: Path) -> Path:
    """The tiny BERT saved into `out` (a sequence-classification model with one logit); returns `out`."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from compiler.retrieval import default_model_path

    tokenizer = AutoTokenizer.from_pretrained(default_model_path(), local_files_only=True)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BertForSequenceClassification(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def tiny_reward_run(run_dir: Path, encoder: Path, fingerprint: str = "tiny-run-1", bias: float | None = None) -> Path:
    """A completed reward-model run at `run_dir` whose model is `encoder` untrained (scores are the random
    head's: deterministic, near 3; `bias` sets the head's bias, e.g. 5 for scores near 5) and whose manifest
    says `fingerprint`; writing it again with another fingerprint is a run retrained in place. Returns
    `run_dir`."""
    from spec_lang.atomic import write_atomic
    from trainer.training.manifest import now
    from trainer.training.reward_model import PairAccuracy, RewardModelConfig, RewardRun
    from trainer.training.runs import RunLayout

    layout = RunLayout(run_dir)
    shutil.copytree(encoder, layout.final, dirs_exist_ok=True)
    if bias is not None:
        import torch
        from transformers import BertForSequenceClassification

        model = BertForSequenceClassification.from_pretrained(layout.final)
        with torch.no_grad():
            model.classifier.bias.fill_(bias)
        model.save_pretrained(layout.final)
    none = PairAccuracy(pairs=0, correct=0)
    run = RewardRun(completed_at=now(), specs=("tiny@1",), fingerprint=fingerprint, base_model=str(encoder),
                    config=RewardModelConfig(base=str(encoder)), examples={"train": 0, "eval": 0}, train=none,
                    held_out=none, seconds=0.0, versions={})
    write_atomic(layout.manifest, run.model_dump_json(indent=2) + "\n")
    return run_dir
