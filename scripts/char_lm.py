"""A character-level language model trained on text that ships with Python itself.

Text: the docstrings of a few standard-library modules (``textwrap``, ``argparse``,
``collections``, ``functools``, ``json``, ``string``, read with ``inspect`` from the running
interpreter), so nothing is downloaded.  Model (``--model``): an embedding, a 2-layer ``nn.LSTM``
and a linear head, or an embedding + learned positions, a causal ``nn.TransformerEncoder`` (2
layers, 4 heads) and a linear head.  Training: random windows of ``--seq-len`` characters,
next-character cross-entropy, ``optim.AdamW``, gradient clipping, a tqdm bar with the running loss.
It prints the unigram entropy of the text (the loss of a model that ignores context) next to the
final loss, and a sampled continuation of a prompt at the end.  Uses cuda when present.

    python scripts/char_lm.py [--model lstm|transformer] [--steps 300] [--device cpu|cuda] [--seed 0]
"""
import argparse
import collections
import inspect
import math
import time

from tqdm import tqdm

import tritorch as tt
import tritorch.nn as nn
import tritorch.nn.functional as F

MODULES = ("textwrap", "argparse", "collections", "functools", "json", "string")


def corpus():
    """The docstrings of `MODULES` and their public members, joined (plain ASCII)."""
    parts = []
    for name in MODULES:
        mod = __import__(name)
        for obj in [mod] + [getattr(mod, a) for a in sorted(vars(mod)) if not a.startswith("_")]:
            doc = inspect.getdoc(obj) if getattr(obj, "__module__", name) in (name, None) or obj is mod else None
            if doc and doc not in parts:
                parts.append(doc)
    text = "\n\n".join(parts)
    return "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)


def unigram_entropy(text):
    """Entropy in nats of the character frequencies: the loss of the best context-free model."""
    n = len(text)
    return -sum(c / n * math.log(c / n) for c in collections.Counter(text).values())


class LSTMModel(nn.Module):
    """Input: (B, T) character ids; output: ((B, T, V) logits, state)."""

    def __init__(self, vocab, hidden=128, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, 64)
        self.rnn = nn.LSTM(64, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.rnn(self.embed(x), state)
        return self.head(h), state


class TransformerModel(nn.Module):
    """Input: (B, T) character ids, T <= context; output: ((B, T, V) logits, None)."""

    def __init__(self, vocab, context, d_model=128, heads=4, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(tt.randn(context, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, x, state=None):
        T = x.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device)
        h = self.encoder(self.embed(x) + self.pos[:T], mask=mask, is_causal=True)
        return self.head(self.norm(h)), None


def batches(data, batch, seq_len, device, gen):
    """Random windows: inputs (B, T) and next-character targets (B, T)."""
    starts = tt.randint(0, len(data) - seq_len - 1, (batch,), generator=gen)
    idx = starts[:, None] + tt.arange(seq_len + 1)[None, :]
    w = data[idx]
    return w[:, :-1].to(device), w[:, 1:].to(device)


@tt.no_grad()
def sample(model, prompt, stoi, itos, n, device, context, temperature=0.8):
    """Continue ``prompt`` by ``n`` characters drawn from the model."""
    model.eval()
    ids = [stoi[c] for c in prompt if c in stoi]
    x = tt.tensor([ids], device=device)
    state, out = None, []
    for _ in range(n):
        if isinstance(model, LSTMModel):
            logits, state = model(x, state)
        else:
            logits, _ = model(tt.tensor([ids[-context:]], device=device))
        probs = F.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
        nxt = int(tt.multinomial(probs, 1))
        ids.append(nxt)
        out.append(itos[nxt])
        x = tt.tensor([[nxt]], device=device)
    model.train()
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=("lstm", "transformer"), default="lstm")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--device", default="cuda" if tt.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=200, help="characters to sample at the end")
    args = ap.parse_args(argv)

    tt.manual_seed(args.seed)
    text = corpus()
    chars = sorted(set(text))
    stoi, itos = {c: i for i, c in enumerate(chars)}, chars
    data = tt.tensor([stoi[c] for c in text], dtype=tt.int64)
    h0 = unigram_entropy(text)
    print(f"char_lm: {len(text):,} characters, vocabulary {len(chars)}, unigram entropy {h0:.3f} nats; "
          f"model {args.model} on {args.device}")
    if args.model == "lstm":
        model = LSTMModel(len(chars))
    else:
        model = TransformerModel(len(chars), args.seq_len)
    model = model.to(args.device)
    opt = tt.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    gen = tt.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    avg = None
    bar = tqdm(range(args.steps), desc=f"train {args.model}", unit="step")
    for step in bar:
        x, y = batches(data, args.batch, args.seq_len, args.device, gen)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        v = float(loss)
        avg = v if avg is None else 0.9 * avg + 0.1 * v
        bar.set_postfix(loss=f"{v:.3f}", avg=f"{avg:.3f}")
        if step % 25 == 0 or step == args.steps - 1:
            bar.write(f"step {step:4d}  loss {v:.3f}")
    bar.close()
    took = time.perf_counter() - start
    print(f"final loss (running average) {avg:.3f} nats vs unigram entropy {h0:.3f} "
          f"({args.steps} steps in {took:.1f} s)")
    if args.sample:
        prompt = "Return a "
        print(f"sample: {prompt!r} -> {sample(model, prompt, stoi, itos, args.sample, args.device, args.seq_len)!r}")
    return avg, h0


if __name__ == "__main__":
    main()
