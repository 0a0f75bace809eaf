"""A character-level language model on real text: the simple RNN and the LSTM, trained with truncated BPTT.

The page "A character-level language model" (docs/char-lm.md) shows what this module computes. The text is
the prose of this site's own Parts 1-5 (code, formulas and markup removed), a snapshot committed as
``data/charlm_corpus.txt`` under the repository's MIT licence, so the model learns from text you have read.

The recipe is the one of Karpathy's min-char-rnn (2015) and of Sutskever, Martens & Hinton (2011), written with
this package's own models:

* **Data.** Characters are numbered (:class:`Vocabulary`); the first 90 % of the text trains, the rest
  validates. The training text is cut into ``B`` streams that start at evenly spaced offsets and are read in
  consecutive chunks of ``tau`` characters: chunk ``n`` of every stream continues where chunk ``n - 1``
  stopped. Input ``x(t)`` is the one-hot code of character ``t``, target ``y(t)`` the next character.
* **Truncated BPTT.** Each chunk is one training step: forward through ``tau`` steps from the state where the
  previous chunk ended, backward through those ``tau`` steps only (the state that enters a chunk is treated as
  a constant: the truncation of Part 3 with the cuts at chunk boundaries), Adam, norm clipping (Part 4).
* **Measures.** Bits per character on the validation text, read as one long sequence (state carried along),
  ``L / (N log 2)`` with ``L`` the summed cross-entropy; against the **unigram baseline**, the entropy (in bits)
  of the validation characters under the training text's character frequencies: what a model that ignores
  every previous character can reach at best. Samples are drawn at several points of training.

``python -m gentle_rnn.experiments.charlm`` retrains the configuration the page shows (a few minutes on two
cores) and settles the committed result file ``data/charlm.json`` as the other experiments do
(:func:`gentle_rnn.experiments.settle`): left untouched when the fresh numbers agree, rewritten when they differ
but make the page's claims (:func:`failed_claims`), left untouched with the failed claims printed otherwise.
``--text FILE`` trains on a text of your own and prints samples as it learns.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pathlib
import re
import sys
import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .. import lstm, readout, rnn
from . import settle
from .._checks import positive_int
from ..train import Adam, clip_grad_norm

DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"
CORPUS_FILE = DATA_DIR / "charlm_corpus.txt"
RESULT_FILE = DATA_DIR / "charlm.json"
MODELS = ("rnn", "lstm")



# ----------------------------------------------------------------------------------------------------------------
# the text


def prose_of(markdown: str) -> str:
    """The running prose of a Markdown page: fenced code, formulas, HTML, admonition markers and link targets
    removed, whitespace collapsed to single spaces and paragraphs kept as newlines."""
    text = re.sub(r"^(```|~~~).*?^\1\s*$", "", markdown, flags=re.S | re.M)  # fenced code
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)  # display math
    text = re.sub(r"\$[^$\n]+\$", "", text)  # inline math
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"\{[^}\n]*\}", "", text)  # attribute lists { .diagram }
    text = re.sub(r"^\s*(\?\?\?\+?|!!!)\s*\w+", "", text, flags=re.M)  # admonition markers
    text = re.sub(r"^\s*(--8<--|\[\^\d+\]:|\|).*$", "", text, flags=re.M)  # snippets, footnotes, tables
    text = re.sub(r"(?<!\w)_|_(?!\w)|[#*`>\[\]]", "", text)  # emphasis, headings, quotes, brackets
    text = re.sub(r"\(\s*\)|\s+(?=[,.;:)])", "", text)  # what removed formulas leave behind: "( )", " ,"
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paragraphs if len(p) > 40) + "\n"


def load_text(path: pathlib.Path | str = CORPUS_FILE) -> str:
    """The training text: the committed corpus, or any UTF-8 text file of yours."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"path must name a text file, got {str(path)!r}")
    text = path.read_text(encoding="utf-8")
    if len(text) < 1000:
        raise ValueError(f"the text in {path} has {len(text)} characters; a language model needs at least 1000")
    return text


class Vocabulary:
    """The characters of a text, numbered in sorted order; ``encode`` and ``decode`` convert both ways."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {unknown[:10]}")
        return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split(ids: np.ndarray, train_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of the characters for training, the rest for validation."""
    cut = int(len(ids) * train_fraction)
    return ids[:cut], ids[cut:]


def stream_chunks(train_ids: np.ndarray, B: int, tau: int):
    """Endless chunks for truncated BPTT: yields ``(new_pass, seg)`` with ``seg`` (tau + 1, B) character ids.

    The text is cut into B streams of equal length starting at evenly spaced offsets; chunk n of stream b
    holds its characters n tau ... n tau + tau (tau + 1 of them: inputs are ``seg[:-1]``, targets ``seg[1:]``),
    so each chunk starts on the last character of the previous one and the state can be carried across. After
    the last whole chunk of every stream the streams start again (``new_pass`` is True for the first chunk).
    """
    B, tau = positive_int("B", B), positive_int("tau", tau)
    span = (len(train_ids) - 1) // B  # characters per stream
    if span < tau + 1:
        raise ValueError(f"the training text ({len(train_ids)} characters) is too short for B={B} streams "
                         f"of chunks of tau={tau}")
    starts = np.arange(B) * span  # (B,)
    while True:
        for n in range(span // tau):
            pos = starts[None, :] + n * tau + np.arange(tau + 1)[:, None]  # (tau + 1, B)
            yield n == 0, train_ids[pos]


def unigram_bits(train_ids: np.ndarray, valid_ids: np.ndarray, K: int) -> float:
    """Bits per character of the validation text under the training text's character frequencies.

    Add-one smoothing keeps a character that the training text lacks from costing infinitely many bits.
    """
    counts = np.bincount(train_ids, minlength=K) + 1.0
    log2p = np.log2(counts / counts.sum())
    return float(-log2p[valid_ids].mean())


# ----------------------------------------------------------------------------------------------------------------
# the models, behind one interface: a state, a training step on one chunk, and a step for evaluation/sampling


@dataclass(frozen=True)
class Config:
    """One training configuration (every run is seeded: same code, same machine, same numbers)."""

    model: str = "lstm"
    H: int = 64
    B: int = 32  # parallel streams through the training text
    tau: int = 32  # truncation length: characters per chunk, one step of training each
    steps: int = 2000
    lr: float = 3e-3
    # Clipping threshold for the whole gradient. The loss is a sum over tau * B = 1024 characters, so the norms
    # are large: at the start of training their median is about 450 (RNN) and 240 (LSTM); 1000 clips only the
    # spikes, as Pascanu et al. intend (the run records the fraction of clipped steps).
    max_norm: float = 1000.0
    eval_every: int = 100
    sample_at: tuple[int, ...] = (0, 200, 600, 2000)
    sample_length: int = 240
    temperature: float = 0.7
    prompt: str = "The "  # every sample starts with it (and word shares skip it)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        for name in ("H", "B", "tau", "steps", "eval_every", "sample_length"):
            positive_int(name, getattr(self, name))
        if not all(isinstance(s, int) and 0 <= s <= self.steps for s in self.sample_at):
            raise ValueError(f"sample_at must hold steps between 0 and steps={self.steps}, got {self.sample_at}")


def init(model: str, K: int, H: int, seed: int) -> dict:
    """Initial parameters: inputs and outputs are one-hot characters, so D = K."""
    rng = np.random.default_rng(seed)
    return rnn.init_params(K, H, K, rng) if model == "rnn" else lstm.init_params(K, H, K, rng)


def zero_state(model: str, B: int, H: int):
    return np.zeros((B, H)) if model == "rnn" else (np.zeros((B, H)), np.zeros((B, H)))


# --8<-- [start:chunk]
def chunk_loss_and_grads(model: str, params: dict, x: np.ndarray, y: np.ndarray, state):
    """Summed loss and gradients over one chunk, and the state where the chunk ends (the next chunk's start).

    ``x``: (tau, B, K) one-hot, ``y``: (tau, B) ints. The gradient stops at the chunk's first state.
    """
    if model == "rnn":
        h = rnn.forward(params, x, state)  # (tau, B, H)
        L, do = readout.forward(params["V"], params["c"], h, y)  # do: (tau, B, K)
        dV, dc, dh_out = readout.backward(params["V"], h, do)
        grads, _ = rnn.backward(params, x, state, h, dh_out)
        end = h[-1]
    else:
        h0, s0 = state
        h, s = lstm.forward(params, x, h0, s0)
        L, do = readout.forward(params["V"], params["c"], h, y)
        dV, dc, dh_out = readout.backward(params["V"], h, do)
        grads, _, _ = lstm.backward(params, x, h0, s0, dh_out)
        end = (h[-1], s[-1])
    grads["V"], grads["c"] = dV, dc
    return L, {k: grads[k] for k in params}, end
# --8<-- [end:chunk]


def _states(model: str, params: dict, x: np.ndarray, state):
    """Hidden states over ``x`` from ``state``: (h (T, B, H), the end state)."""
    if model == "rnn":
        h = rnn.forward(params, x, state)
        return h, h[-1]
    h, s = lstm.forward(params, x, *state)
    return h, (h[-1], s[-1])


def _onehot(ids: np.ndarray, K: int) -> np.ndarray:
    out = np.zeros(ids.shape + (K,))
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def validation_bits(model: str, params: dict, valid_ids: np.ndarray, K: int, H: int, streams: int = 8) -> float:
    """Bits per character over the validation text, cut into ``streams`` consecutive pieces read side by side
    (a batch), each from a zero state with the state carried along the piece; every character but the first
    of each piece is predicted once."""
    n = (len(valid_ids) - 1) // streams  # predictions per piece
    pos = np.arange(streams)[:, None] * n + np.arange(n + 1)  # (streams, n + 1)
    seg = valid_ids[pos].T  # (n + 1, streams)
    h, _ = _states(model, params, _onehot(seg[:-1], K), zero_state(model, streams, H))
    L, _ = readout.forward(params["V"], params["c"], h, seg[1:])
    return L / (n * streams * math.log(2))


def sample(model: str, params: dict, vocab: Vocabulary, prompt: str, length: int, temperature: float,
           seed: int) -> str:
    """``prompt`` followed by ``length`` characters drawn one at a time from softmax(o(t) / temperature)."""
    if not prompt:
        raise ValueError("prompt must be a non-empty string")
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    K = len(vocab)
    H = params["V"].shape[1]
    rng = np.random.default_rng(seed)
    state = zero_state(model, 1, H)
    ids = list(vocab.encode(prompt))
    h, state = _states(model, params, _onehot(np.array(ids)[:, None], K), state)
    last = h[-1]
    out = []
    for _ in range(length):
        o = (params["c"] + last @ params["V"].T)[0] / temperature  # (K,)
        p = np.exp(o - o.max())
        nxt = int(rng.choice(K, p=p / p.sum()))
        out.append(nxt)
        h, state = _states(model, params, _onehot(np.array([[nxt]]), K), state)
        last = h[-1]
    return prompt + vocab.decode(out)


# ----------------------------------------------------------------------------------------------------------------
# training


def run(config: Config, text: str | None = None, progress: bool = False, show_samples: bool = False) -> dict:
    """Train one model on the text (the committed corpus by default); return a JSON-ready record."""
    text = load_text() if text is None else text
    vocab = Vocabulary(text)
    K, H, B, tau = len(vocab), config.H, config.B, config.tau
    ids = vocab.encode(text)
    train_ids, valid_ids = split(ids)
    chunks = stream_chunks(train_ids, B, tau)
    params = init(config.model, K, H, config.seed)
    optimizer = Adam(lr=config.lr)
    state = zero_state(config.model, B, H)
    record = {"model": config.model, "eval_steps": [], "valid_bits": [], "train_bits": [], "samples": {},
              "clipped_fraction": 0.0}
    window: list[float] = []

    def evaluate(step: int) -> None:
        record["eval_steps"].append(step)
        record["valid_bits"].append(validation_bits(config.model, params, valid_ids, K, H))
        record["train_bits"].append(float(np.mean(window)) if window else None)
        window.clear()
        if step in config.sample_at:
            s = sample(config.model, params, vocab, config.prompt, config.sample_length, config.temperature, seed=step)
            record["samples"][str(step)] = s
            if show_samples:
                tqdm.write(f"--- step {step}, {record['valid_bits'][-1]:.3f} bits/char:\n{s}\n")

    evaluate(0)
    clipped = 0
    bar = tqdm(range(1, config.steps + 1), desc=f"{config.model} H={H}", disable=not progress, leave=False)
    for step in bar:
        new_pass, seg = next(chunks)  # seg: (tau + 1, B)
        if new_pass:  # every stream starts again at its beginning, from a zero state
            state = zero_state(config.model, B, H)
        x, y = _onehot(seg[:-1], K), seg[1:]  # (tau, B, K), (tau, B): y(t) is the character after x(t)
        L, grads, state = chunk_loss_and_grads(config.model, params, x, y, state)
        if not math.isfinite(L):
            raise FloatingPointError(f"{config.model}: the loss became {L} at step {step}")
        grads, norm = clip_grad_norm(grads, config.max_norm)
        clipped += norm > config.max_norm
        optimizer.step(params, grads)
        window.append(L / (tau * B * math.log(2)))
        if step % config.eval_every == 0 or step == config.steps or step in config.sample_at:
            evaluate(step)
            bar.set_postfix(valid=f"{record['valid_bits'][-1]:.3f} bits/char", refresh=False)
    bar.close()
    record["clipped_fraction"] = clipped / config.steps
    return record


#: What the page shows: both models, the same text, optimiser, truncation, clipping and seed.
FULL = {m: Config(model=m) for m in MODELS}
#: A short rerun for the tests: small models, a few hundred steps. Its claims are checked with margins.
SHORT = {m: Config(model=m, H=32, B=16, steps=300, eval_every=100, sample_at=(0, 300), sample_length=120)
         for m in MODELS}


def experiment(configs: dict[str, Config], text: str | None = None, progress: bool = False,
               show_samples: bool = False) -> dict:
    text = load_text() if text is None else text
    vocab = Vocabulary(text)
    train_ids, valid_ids = split(vocab.encode(text))
    return {
        "configs": {m: dataclasses.asdict(c) for m, c in configs.items()},
        "characters": len(text),
        "vocabulary": len(vocab),
        "unigram_bits": unigram_bits(train_ids, valid_ids, len(vocab)),
        "runs": {m: run(c, text, progress, show_samples) for m, c in configs.items()},
    }


# ----------------------------------------------------------------------------------------------------------------
# the claims the page makes, as one function used by the tests on the committed file and on fresh runs


def corpus_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{2,}", text.lower()))


def word_share(sample_text: str, words: set[str], prompt: str = "The ") -> float:
    """Share of the sample's words (lower-case runs of 2+ letters, prompt excluded) that occur in the text."""
    found = re.findall(r"[a-z]{2,}", sample_text[len(prompt):].lower())
    return sum(w in words for w in found) / len(found) if found else 0.0


def summary(result: dict, text: str | None = None) -> dict:
    """The numbers the page's claims are made of, per model: final validation bits, best, improvement ..."""
    words = corpus_words(load_text() if text is None else text)
    out = {"unigram_bits": result["unigram_bits"]}
    for m, r in result["runs"].items():
        steps = sorted(int(s) for s in r["samples"])
        out[m] = {
            "initial_bits": r["valid_bits"][0],
            "final_bits": r["valid_bits"][-1],
            "best_bits": min(r["valid_bits"]),
            "first_sample_words": word_share(r["samples"][str(steps[0])], words),
            "last_sample_words": word_share(r["samples"][str(steps[-1])], words),
        }
    return out


def failed_claims(full: dict, text: str | None = None) -> list[str]:
    """The claims the page makes about the full runs that do not hold for ``full`` (empty: all hold).

    The page says: both models end about two bits per character below the unigram baseline (here: more than
    1.5 bits), both cross the baseline within the first 100 steps, the two end within a tenth of a bit of each
    other, and the samples turn from noise into words (under 10 % of the first sample's words are words of the
    text, over half of the last one's). The tests check these on the committed file and the page's numbers
    against it; a fresh run on another machine must make the same claims to replace the file.
    """
    s = summary(full, text)
    failed = []
    for m, r in full["runs"].items():
        if not s[m]["final_bits"] < s["unigram_bits"] - 1.5:
            failed.append(f"{m} ends {s['unigram_bits'] - s[m]['final_bits']:.2f} bits below the unigram baseline, "
                          "not about two")
        if 100 not in r["eval_steps"] or not r["valid_bits"][r["eval_steps"].index(100)] < s["unigram_bits"]:
            failed.append(f"{m} is not below the unigram baseline at step 100")
        if not s[m]["first_sample_words"] < 0.1:
            failed.append(f"{m}: {s[m]['first_sample_words']:.2f} of the first sample's words are words of the text")
        if not s[m]["last_sample_words"] > 0.5:
            failed.append(f"{m}: only {s[m]['last_sample_words']:.2f} of the last sample's words are words of the text")
    if "rnn" in s and "lstm" in s and not abs(s["rnn"]["final_bits"] - s["lstm"]["final_bits"]) < 0.1:
        failed.append("the simple RNN and the LSTM do not end within a tenth of a bit of each other")
    return failed


# ----------------------------------------------------------------------------------------------------------------
# the command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gentle_rnn.experiments.charlm",
        description="Train the character-level RNN and LSTM of the page 'A character-level language model'.",
    )
    parser.add_argument("--text", type=pathlib.Path, help="train on this UTF-8 text file instead "
                        "(prints samples as it learns; nothing is compared or written)")
    parser.add_argument("--model", choices=MODELS, help="with --text: train only this model")
    parser.add_argument("--steps", type=int, help="with --text: number of training steps")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    progress = not args.no_progress
    started = time.perf_counter()
    if args.text is not None:
        text = load_text(args.text)
        models = (args.model,) if args.model else MODELS
        configs = {m: dataclasses.replace(FULL[m], **({"steps": args.steps} if args.steps else {}),
                                          sample_at=(0,)) for m in models}
        configs = {m: dataclasses.replace(c, eval_every=max(1, c.steps // 10), prompt=text[:4],
                                          sample_at=tuple(range(0, c.steps + 1, max(1, c.steps // 10))))
                   for m, c in configs.items()}
        result = experiment(configs, text, progress, show_samples=True)
        print(f"unigram baseline {result['unigram_bits']:.3f} bits/char; "
              + "; ".join(f"{m} {r['valid_bits'][-1]:.3f}" for m, r in result["runs"].items()))
        return 0
    fresh = {
        "about": "A character-level language model: the simple RNN and the LSTM on this site's own prose. "
                 "Written by `python -m gentle_rnn.experiments.charlm`; do not edit by hand.",
        "full": experiment(FULL, progress=progress),
        "short": experiment(SHORT),
    }
    print(f"trained in {time.perf_counter() - started:.0f} s")
    return settle(RESULT_FILE, fresh, failed_claims(fresh["full"]))


if __name__ == "__main__":
    sys.exit(main())
