"""One rank of the reference: a real PyTorch DDP training step (gloo, CPU) of the GPT that
tests/validation/ddp emulates with scaleout. Started once per node by srun; prints, on rank 0, one
JSON line with the steps' times.

Synced and no_sync steps alternate, so that both see the same contention: a synced step reduces the
gradients (DDP's buckets, gloo's ring allreduce), a no_sync step skips it; their difference is the
communication the step could not hide. Every time is the slowest rank's.

The model (5,289,472 parameters, as `scaleout plan` counts the config tests/validation/ddp writes):
GPT-style, 4 layers, hidden 256, 8 heads, vocabulary 8192, 128 learned positions, tied embeddings,
biases everywhere, pre-LayerNorm blocks with a 4h MLP.
"""

import argparse
import contextlib
import json
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.up = nn.Linear(hidden, 4 * hidden)
        self.down = nn.Linear(4 * hidden, hidden)

    def forward(self, x):
        b, s, h = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(h, dim=2)
        q, k, v = (t.view(b, s, self.heads, h // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(h // self.heads)
        causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        attention = F.softmax(scores.masked_fill(causal, float("-inf")), dim=-1) @ v
        x = x + self.proj(attention.transpose(1, 2).reshape(b, s, h))
        return x + self.down(F.gelu(self.up(self.norm2(x))))


class Gpt(nn.Module):
    def __init__(self, layers, hidden, heads, vocab, seq_len):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(seq_len, hidden)
        self.blocks = nn.ModuleList(Block(hidden, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)

    def forward(self, tokens):
        x = self.embedding(tokens) + self.positions(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.norm(x) @ self.embedding.weight.t()  # the tied output head


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10, help="pairs of a synced and a no_sync step")
    parser.add_argument("--warmup", type=int, default=2, help="pairs run first and not timed")
    parser.add_argument("--threads", type=int, default=1, help="torch's compute threads per rank")
    parser.add_argument("--bucket-mb", type=float, default=25, help="DDP's bucket_cap_mb")
    arguments = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(arguments.threads)
    rank, world = int(os.environ["SLURM_PROCID"]), int(os.environ["SLURM_NTASKS"])
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model = Gpt(layers=4, hidden=256, heads=8, vocab=8192, seq_len=128)
    parameters = sum(p.numel() for p in model.parameters())
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=arguments.bucket_mb)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=1e-4)
    tokens = torch.randint(0, 8192, (1, 129))  # one sequence per rank

    def step(synced):
        dist.barrier()
        begin = time.perf_counter()
        with contextlib.nullcontext() if synced else ddp.no_sync():
            logits = ddp(tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
            loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return time.perf_counter() - begin

    synced, unsynced = [], []
    for pair in range(arguments.warmup + arguments.steps):
        times = (step(True), step(False))
        if pair >= arguments.warmup:
            synced.append(times[0])
            unsynced.append(times[1])
    slowest = torch.tensor([synced, unsynced], dtype=torch.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(json.dumps({"ranks": world, "parameters": parameters, "synced_s": slowest[0].tolist(),
                          "no_sync_s": slowest[1].tolist()}), flush=True)
    # gloo's teardown can hang once a peer has gone: meet, then leave without it.
    dist.barrier()
    os._exit(0)


if __name__ == "__main__":
    main()
