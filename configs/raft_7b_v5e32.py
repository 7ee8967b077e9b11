"""configs/raft_7b.py on a TPU v5e-32: 32 chips on 8 hosts, one process per host (launch/tpu.sh).

Run:  NAME=raft ZONE=... TYPE=v5litepod-32 launch/tpu.sh --config=configs/raft_7b_v5e32.py
      --config.sft_checkpoint=/path/to/Qwen2.5-Coder-7B-Instruct --config.output_dir=/shared/raft_7b
      (every host must see the checkpoint and output_dir at the same path: a bucket under gcsfuse, NFS)

Same model and cycle as configs/raft_7b.py, with 4x the sampler rows per call (64 prompts x 8 samples =
512 rows: the built-in set's 110 training prompts in 2 calls, its 27 held-out x 4 samples in 1) and 8 x 2
packed rows of 1024 tokens per optimizer step (the rows of a micro-batch divide over the 8 data shards).
Not run on a TPU here. The mesh is the best predicted cycle of those tried; what XLA:TPU says for each
(compiler predictions, not measurements; libtpu 0.0.42, compiled on a 2-core AMD EPYC without a TPU):

  python -m raftjax.tools.aot --config=configs/raft_7b_v5e32.py --model=qwen2.5-coder-7b --topology=v5e-32

  mesh (data, fsdp, tensor)     GiB per chip of 16.0      decode step    train step         a cycle
                                prefill  decode  train    (512 rows)     (16 x 1024 tok.)
  (8, 1, 4)   this config        4.56    4.91    6.16     0.0179 s       0.195 s, MFU 0.41   44 s
  (16, 1, 2)  training.batch_size=16, no accumulation
                                 8.11    9.45   11.27     0.0345 s       0.166 s, MFU 0.48   82 s

With (8, 1, 4): prefill 0.070 s a call (236k prompt tokens/s), decode 28.5k tokens/s (90% of the
roofline's 31.7k: HBM bandwidth bound), training 84k tokens/s; compile 66 s + 67 s + 155 s. A cycle's
44 s of device time (an upper bound: every sample runs to 768 new tokens) is 28 s sampling, 3 s training
and 14 s held-out evaluation. Halving `tensor` doubles the weights each chip reads per decode step, which
the twice as many data shards do not win back: sampling, most of a cycle, takes twice as long. (Tensor 8
was not tried: neither the 4 KV heads nor the 28 query heads split 8 ways, so heads and cache would not.)
"""

from configs import raft_7b


def get_config():
  c = raft_7b.get_config()
  c.output_dir = 'runs/raft_7b_v5e32'  # on every host at the same path: a shared file system
  # raft_7b's mesh (-1, 1, 4) is (8, 1, 4) on 32 chips: tensor within a host's 4 chips, data across hosts
  c.generation.batch_size = 64
  c.training.batch_size = 8
  c.training.gradient_accumulation_steps = 2  # 16 packed rows of 1024 tokens per optimizer step
  return c
