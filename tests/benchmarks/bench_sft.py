"""Benchmark: SFT steps/s through `delib train sft` (`train_sft`) vs a plain TRL script (a plain script, not pytest).

    .venv/bin/python tests/benchmarks/bench_sft.py [--model tiny|embedded|hf:PATH] [--steps 10] [--batch-size 2]
                                                   [--max-length 512] [--rows 32] [--repeats 2]

Both paths train the same model on the same generated rows with the same settings (batch size, max length,
learning rate, seed, fp32, no gradient checkpointing, no checkpoints inside the timed steps, the same chat
template): ours through `train_sft` (config translation, pre-flight, manifest, final save), the plain one with
`SFTTrainer(model, args=SFTConfig(...), train_dataset=..., processing_class=tokenizer)` written directly.
A callback times the optimisation steps after the first (which includes one-off warm-up) in both; the
script prints steps/s for each, their ratio (target >= 0.95), and the end-to-end seconds of each path.
The repeats alternate between the paths and the best of each is reported (the machine may be shared).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

REASONING = ("The user asks about {topic}. The request falls under `advice`; `advice.c1` allows general, "
             "practical information, and nothing in the policy restricts it, so I answer fully following "
             "`style_comply`. ") * 3
ANSWER = "Here is how to approach {topic}: start with the basics, practise, and check your results. " * 4


def make_data(folder: Path, rows: int) -> Path:
    """A generation folder (`data.jsonl` + `dataset/`) with `rows` well-formed rows of a few hundred tokens."""
    from datasets import Dataset

    from compiler.format import format_completion

    records = [{
        "prompt": [{"role": "user", "content": f"How do I get better at topic number {i}?"}],
        "completion": [{"role": "assistant", "content": format_completion(
            REASONING.format(topic=f"topic {i}"), ANSWER.format(topic=f"topic {i}"), "comply")}],
        "category": "advice",
    } for i in range(rows)]
    folder.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(records).save_to_disk(str(folder / "dataset"))
    return folder


def make_tiny_model(folder: Path) -> Path:
    """The tests' tiny model: a 2-layer random Llama (hidden 64) with the SmolLM2 tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from trainer.backends import embedded_tokenizer_dir

    tokenizer = AutoTokenizer.from_pretrained(embedded_tokenizer_dir(), local_files_only=True)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, num_attention_heads=4, num_key_value_heads=4,
                         intermediate_size=128, num_hidden_layers=2, max_position_embeddings=2048,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def step_timer() -> Any:
    """A callback that records the time at the end of every optimisation step."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.ends.append(time.perf_counter())

        def steps_per_second(self) -> float:
            return (len(self.ends) - 1) / (self.ends[-1] - self.ends[0])

    return StepTimer()


def ours(data: Path, model: str, out: Path, args: argparse.Namespace) -> tuple[float, float]:
    """`train_sft`, as `delib train sft` calls it: (steps/s, end-to-end seconds)."""
    from trainer.training import SFTStageConfig, train_sft

    timer = step_timer()
    config = SFTStageConfig(model=model, max_steps=args.steps, batch_size=args.batch_size, max_length=args.max_length,
                            learning_rate=1e-5, seed=0, bf16=False, save_steps=10 * args.steps,
                            logging_steps=10 * args.steps)
    started = time.perf_counter()
    train_sft(data, out, config, force=True, callbacks=[timer])
    return timer.steps_per_second(), time.perf_counter() - started


def plain_trl(data: Path, model_path: Path, template: str, out: Path, args: argparse.Namespace) -> tuple[float, float]:
    """The same training written directly against TRL: (steps/s, end-to-end seconds)."""
    import torch
    from datasets import load_from_disk
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    timer = step_timer()
    started = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    tokenizer.chat_template = template
    dataset = load_from_disk(str(data / "dataset")).select_columns(["prompt", "completion"])
    config = SFTConfig(output_dir=str(out), max_steps=args.steps, per_device_train_batch_size=args.batch_size,
                       max_length=args.max_length, learning_rate=1e-5, seed=0, bf16=False,
                       activation_checkpointing=False, save_strategy="no", logging_steps=10 * args.steps,
                       report_to="none", dataloader_pin_memory=False)
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[timer])
    trainer.train()
    trainer.save_model(str(out / "final"))
    return timer.steps_per_second(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="tiny", help="tiny (default), embedded, or hf:PATH")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    from trainer.training import CHATML_NO_DEFAULT_SYSTEM, resolve_model

    with tempfile.TemporaryDirectory(prefix="bench-sft-") as tmp:
        root = Path(tmp)
        data = make_data(root / "gen", args.rows)
        spec = f"hf:{make_tiny_model(root / 'tiny')}" if args.model == "tiny" else args.model
        model_path = Path(resolve_model(spec).path)
        results: dict[str, list[tuple[float, float]]] = {"ours": [], "plain": []}
        for _ in range(args.repeats):
            results["ours"].append(ours(data, spec, root / "run", args))
            results["plain"].append(plain_trl(data, model_path, CHATML_NO_DEFAULT_SYSTEM, root / "plain", args))
            shutil.rmtree(root / "plain", ignore_errors=True)
    best = {name: max(runs) for name, runs in results.items()}
    print(f"model {args.model}, {args.steps} steps, batch {args.batch_size}, max length {args.max_length}, "
          f"best of {args.repeats}")
    for name, label in (("ours", "delib train sft (train_sft)"), ("plain", "plain TRL SFTTrainer")):
        rate, wall = best[name]
        print(f"  {label:<28} {rate:7.3f} steps/s   end to end {wall:6.1f} s   "
              f"(all: {', '.join(f'{r:.3f}' for r, _ in results[name])})")
    ratio = best["ours"][0] / best["plain"][0]
    print(f"  ratio ours/plain: {ratio:.3f} (target >= 0.95)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
