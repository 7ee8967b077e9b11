"""RAFT on a 7B code model from a local HF checkpoint, on 8 accelerators (TPU v5e-8 or 8x H100).

Run:  launch/tpu.sh or launch/slurm.sbatch with --config=configs/raft_7b.py
      --config.sft_checkpoint=/path/to/Qwen2.5-Coder-7B-Instruct  (any llama / mistral / qwen2 HF directory)

Sized for Qwen2.5-Coder-7B-Instruct (7.6e9 params; 28 layers, hidden 3584, 28 query / 4 KV heads of 128,
MLP 18944, vocab 152064) in bfloat16. Not run here; the memory math (launch/README.md has the general
formulas), per chip of 16 GiB HBM (v5e) with mesh (data=2, fsdp=1, tensor=4):
  weights      7.6e9 x 2 B = 15.2 GB, split 4 ways over `tensor`                     -> 3.8 GB
  LoRA r=16    40.4e6 params in f32 with Adam m, v and a gradient (16 B/param) = 0.65 GB, split 4 -> 0.2 GB
  KV cache     2 x 28 layers x 4 heads x 128 x 2 B = 56 KiB/token; 16 prompts x 8 samples = 128 rows x
               (256 prompt + 768 new) slots = 7.0 GiB, rows over `data` (2), heads over `tensor` (4) -> 0.9 GiB
  training     2 rows x 1024 tokens per data shard per micro-batch, no rematerialisation: attention
               scores (f32) 2 x 28 x 1024^2 x 4 B = 235 MB/layer, the rest ~170 KB/token/layer (bf16):
               28 x (235 MB + 350 MB) / 4 (heads and MLP over `tensor`) -> ~4.1 GB; logits (f32)
               2 x 1024 x 152064 x 4 B = 1.25 GB, ~3 such tensors live (logits, softmax, gradient),
               vocab over `tensor` -> ~0.9 GB
  total        ~10 GB of 16 GB: room for XLA's buffers. On 8x H100 (80 GB) use mesh (8, 1, 1): weights
               replicated (15.2 GB), no collective in the decode step; set training.batch_size = 8 (rows divide
               over 8 data shards) and raise generation.batch_size to 64.
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
  c.raft.samples_per_prompt = 8
  c.raft.keep_top_percent = 0.25  # best 2 of 8 per prompt
  c.raft.prompts_per_cycle = 0  # every training task, every cycle
  c.raft.num_cycles = 5
  c.evaluation.samples_per_prompt = 4
  c.evaluation.temperature = 0.7  # pass@1 and pass@4 from 4 samples: a less noisy best-cycle choice

  c.training.batch_size = 4
  c.training.gradient_accumulation_steps = 4  # 16 packed rows of 1024 tokens per optimizer step
  c.training.max_seq_len = 1024
  c.training.learning_rate = 1e-4
  c.training.lr_decay_per_cycle = 0.8
  c.verifier.num_workers = 0  # every host core compiles
  return c
