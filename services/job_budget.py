"""The budget of one training job: its memory and its wall time, known before it starts.

Memory: one training step's peak is estimated from the description and the batch
size by ``cnnlab.geometry.cost.network_cost`` (no array is built) and must stay
under ``MAX_STEP_BYTES`` (200 MB): two trainers and the pages of a class then fit
in a 1.5 GiB replica. A larger network x batch is refused with the core's
translated message before the job is queued.

Time: the run's wall time is predicted from the multiply-adds per image, the
number of images it will see (epochs x training set, plus the validation passes)
and the speed of one trainer thread on this server. A run predicted to take more
than :data:`MAX_JOB_SECONDS` is shortened - fewer epochs, or, if even one epoch
is too long, the first batches of one - and the page says so before Train is
pressed. A running job is stopped (keeping its model) when it runs past
:data:`HARD_LIMIT` times that bound, whatever the prediction said.

The speed model, seconds per training image = ``S_PER_IMAGE + macs / MACS_PER_S``,
was fitted to one trainer (one BLAS thread) on the 2-core development machine
under the load of other work: LeNet-5 (416,520 multiply-adds) 2,376 images/s,
the heavy network of issue 17 (25.8 M) 84 images/s, a small CNN (290,080) 2,885/s.
Each finished job corrects it (:func:`learn`): the prediction is multiplied by
the measured / predicted ratio of the last jobs, so a faster or slower server
gets its own figures after a run or two.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from cnnlab.geometry.cost import MAX_STEP_BYTES, check_budget, network_cost

#: The longest training one student may start (seconds of predicted wall time).
MAX_JOB_SECONDS = 180.0
#: A running job stops at this multiple of its bound (the prediction may be wrong; the bound is not).
HARD_LIMIT = 1.5
S_PER_IMAGE = 2.3e-4      # per-image overhead of a step (batching, augmentation, optimizer)
MACS_PER_S = 2.2e9        # forward + backward multiply-adds per second, counted as forward ones
VAL_PER_EPOCH = 4         # cnnlab.nn.train.train's default: validation passes per epoch
FORWARD_SHARE = 1 / 3     # a validation image costs a forward pass only

_lock = threading.Lock()
_factor = [1.0]           # measured / predicted time of the last jobs (exponential average)


@dataclass(frozen=True)
class JobPlan:
    """What a Train press will run: the settings to use and the predicted seconds."""

    settings: dict               # the training settings, with epochs possibly lowered
    max_batches: int | None      # set when even one epoch is too long
    seconds: float               # predicted wall time of the run as it will run
    requested_seconds: float     # predicted wall time of the run as asked for
    step_bytes: int              # estimated peak memory of one training step
    limit_seconds: float = MAX_JOB_SECONDS

    @property
    def shortened(self):
        return self.seconds < self.requested_seconds


def seconds_per_image(macs):
    with _lock:
        factor = _factor[0]
    return (S_PER_IMAGE + macs / MACS_PER_S) * factor


def plan(description, data, settings, input_shape=(1, 28, 28), max_seconds=MAX_JOB_SECONDS,
         max_step_bytes=MAX_STEP_BYTES):
    """The plan of training the network ``description`` on ``data`` (``(train, val, test)`` pairs).

    Raises the core's ``LessonError`` (``train_too_much_memory`` when one step would exceed
    ``max_step_bytes``, or what is wrong with the description); never allocates the network's arrays.
    """
    batch = int(settings.get("batch_size", 64))
    epochs = int(settings.get("epochs", 1))
    cost = network_cost(description, tuple(input_shape), batch)
    check_budget(cost, max_params=float("inf"), max_macs=float("inf"), max_bytes=max_step_bytes)
    n, n_val = len(data[0][1]), len(data[1][1])
    per_image = seconds_per_image(cost.macs)
    per_epoch = math.ceil(n / batch)
    epoch_s = per_image * (n + VAL_PER_EPOCH * n_val * FORWARD_SHARE)
    requested = epoch_s * epochs
    if requested <= max_seconds:
        return JobPlan(dict(settings), None, requested, requested, cost.peak_bytes, max_seconds)
    fit = int(max_seconds // epoch_s)
    if fit >= 1:
        return JobPlan({**settings, "epochs": fit}, None, epoch_s * fit, requested, cost.peak_bytes, max_seconds)
    step_s = epoch_s / per_epoch
    batches = max(1, int(max_seconds // step_s))
    return JobPlan({**settings, "epochs": 1}, batches, step_s * batches, requested, cost.peak_bytes, max_seconds)


def learn(predicted_s, measured_s):
    """Correct the speed model with one finished job (ignored for runs too short to tell)."""
    if predicted_s <= 1.0 or measured_s <= 1.0:
        return
    ratio = min(8.0, max(0.125, measured_s / predicted_s))
    with _lock:
        _factor[0] = min(8.0, max(0.125, _factor[0] * (0.6 + 0.4 * ratio)))
