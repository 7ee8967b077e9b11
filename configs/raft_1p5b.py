"""RAFT on a 1.5B code model on a small or free TPU (a v2-8 or v3-8: 8 TensorCores, 8 / 16 GiB each).

Run:  python -m raftjax.main --config=configs/raft_1p5b.py
      --config.sft_checkpoint=/path/to/Qwen2.5-Coder-1.5B-Instruct  (any llama / mistral / qwen2 HF directory)

Qwen2.5-Coder-1.5B-Instruct (1.56e9 params; 28 layers, hidden 1536, 12 query / 2 KV heads of 128, MLP
8960, vocab 151936, tied embeddings) in bfloat16, layers scanned, remat 'dots', with configs/raft_7b.py's
cycle (16 prompts x 8 samples of 768 new tokens per sampler call, steps of 16 packed rows of 1024 tokens).
Mesh (data = the rest, fsdp 1, tensor 2): 2 KV heads, so `tensor` above 2 would leave the cache unsplit.
Not run on a TPU here. What XLA:TPU says when compiling its programs for a v2-8 (compiler predictions, not
measurements; libtpu 0.0.42, compiled on a 2-core AMD EPYC without a TPU):

  python -m raftjax.tools.aot --config=configs/raft_1p5b.py --model=qwen2.5-coder-1.5b --topology=v2-8

  v2-8 (8 TensorCores x 8 GB), mesh (4, 1, 2); GiB per core, compile time, XLA's optimal_seconds:
    prefill  16 prompts x 256 tokens   2.05 of 7.45 GiB (weights 1.44, adapters+Adam 0.04, KV 0.44)   27 s
             0.075 s a call: 55k prompt tokens/s
    decode   128 rows x 1024 slots     2.15 GiB                                                      44 s
             0.018 s a step: 7.0k tokens/s, 88% of the roofline's 7.9k (HBM bandwidth bound)
    train    4 x 4 rows x 1024 tokens  3.95 GiB (temporaries 2.36)                                  57 s
             0.75 s a step: 21.9k tokens/s, MFU 0.84
    a cycle (110 training prompts x 8 samples, 27 held-out x 4, every sample 768 new tokens): 123 s of
    device time, 99 s of it sampling
A v3-8 has twice the HBM per core (16 GiB) and more bandwidth, so what fits a v2-8 fits there. Less than half
of the v2-8's HBM is used: generation.batch_size can double (the KV cache, 0.44 GiB, doubles with it).
"""

from configs import raft_7b


def get_config():
  c = raft_7b.get_config()  # the same cycle, sampler and training settings
  c.output_dir = 'runs/raft_1p5b'
  c.mesh.shape = (-1, 1, 2)  # 2 KV heads: `tensor` above 2 would leave the cache unsplit; data = the rest
  return c
