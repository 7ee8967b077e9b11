"""RAFT on a 7B code model from a local HF checkpoint, on 8 accelerators (TPU v5e-8 or 8x H100).

Run:  MODEL=gs://BUCKET/Qwen2.5-Coder-7B-Instruct OUTPUT=gs://BUCKET/runs launch/tpu.sh --config=configs/raft_7b.py
      sbatch launch/slurm.sbatch --config=configs/raft_7b.py --config.sft_checkpoint=/path/to/the/hf_dir
      (any llama / mistral / qwen2 HF directory; launch/README.md says what each needs)

Sized for Qwen2.5-Coder-7B-Instruct (7.66e9 params; 28 layers, hidden 3584, 28 query / 4 KV heads of 128,
MLP 18944, vocab 152064) in bfloat16, layers scanned, remat 'dots', mesh (data = the rest, fsdp 1, tensor 4).
Not run on a TPU here. What XLA:TPU says when compiling its programs for the slice (compiler predictions,
not measurements; libtpu 0.0.42, compiled on a 2-core AMD EPYC without a TPU):

  python -m raftjax.tools.aot --config=configs/raft_7b.py --model=qwen2.5-coder-7b --topology=v5e-8

  v5e-8 (8 chips x 16.0 GiB), mesh (2, 1, 4); GiB per chip, compile time, XLA's optimal_seconds:
    prefill  16 prompts x 256 tokens   4.56 GiB (weights 3.55, adapters+Adam 0.07, KV cache 0.88)   47 s
             0.070 s a call: 59k prompt tokens/s
    decode   128 rows x 1024 slots     4.69 GiB                                                     79 s
             0.0165 s a step: 7.7k tokens/s, 90% of the roofline's 8.6k (HBM bandwidth bound)
    train    4 x 4 rows x 1024 tokens  8.50 GiB (temporaries 4.71)                                 199 s
             0.82 s a step: 19.9k tokens/s, MFU 0.39
    a cycle (110 training prompts x 8 samples, 27 held-out x 4, every sample 768 new tokens): 114 s of
    device time, 89 s of it sampling
  v6e-8 (8 chips x 32.0 GiB), mesh (2, 1, 4), --nocosts (memory and compile time only):
    prefill 4.68 GiB, decode 4.69 GiB, train 8.49 GiB of 32.0 (a quarter of the HBM: room for more
    sampler rows, not compiled); compile 191 s, 100 s, 321 s.
  v5p-8 (4 chips x 95.9 GiB), mesh (1, 1, 4) (data = the rest):
    prefill 5.67 GiB, 0.055 s a call: 75k prompt tokens/s; decode 6.27 GiB, 0.0091 s a step: 14.0k tokens/s
    (96% of the roofline); train 12.79 GiB, 0.58 s a step: 28.0k tokens/s, MFU 0.47; a cycle 65 s of
    device time. Compile 33 s, 44 s, 100 s. A seventh of the HBM: room for far more sampler rows.
  training.remat = 'none' instead of 'dots' on v5e-8: train 12.77 GiB (temporaries 8.99), 0.84 s a step;
    'dots' recomputes 1.5% more FLOPs, moves 3% fewer bytes and holds 4.3 GiB less per chip.
On 8x H100 (80 GB) use mesh (8, 1, 1): weights replicated, no collective in the decode step; set
training.batch_size = 8 (rows divide over 8 data shards) and raise generation.batch_size to 64.
"""

from configs import raft


def get_config():
  c = raft.get_config()
  c.sft_checkpoint = ''  # a local HF checkpoint directory: set it (raftjax never downloads weights)
  c.output_dir = 'runs/raft_7b'
  c.model.param_dtype = 'bfloat16'
  c.model.dtype = 'bfloat16'
  c.mesh.shape = (-1, 1, 4)  # 4 KV heads: `tensor` above 4 would leave the cache unsplit; data = the rest

  c.generation.max_new_tokens = 768
  c.generation.batch_size = 16
  # Chunked: with XLA:TPU's default memory-space assignment the slot loop's step is priced at 1.6x the
  # chunked step's bytes (without it, at less); not measured on a TPU (BENCHMARKS.md, "Slots at 7B").
  c.generation.slots = 0
  c.raft.samples_per_prompt = 8
  c.raft.keep_top_percent = 0.25  # best 2 of 8 per prompt
  c.raft.prompts_per_cycle = 0  # every training task, every cycle
  c.raft.num_cycles = 5
  c.evaluation.samples_per_prompt = 4
  c.evaluation.temperature = 0.7  # pass@1 and pass@4 from 4 samples: a less noisy best-cycle choice

  c.training.gradient_accumulation_steps = 4  # 4 x 4 packed rows of 1024 tokens per optimizer step
  c.training.max_seq_len = 1024
  c.training.learning_rate = 1e-4
  c.training.lr_decay_per_cycle = 0.8
  return c
