"""How sure is a desert? The chance of each tract being a desert, from the ACS margins of error.

An ACS 5-year count is an estimate with a 90% margin of error (MOE): a tract with 60 +/- 45 children
is not known to be a desert. Following Lee (2026, "probabilistic child care deserts", Alabama), the
children are drawn many times from their estimates and margins, every desert rule is re-applied to
each draw, and the share of draws in which a tract is a desert is its *desert probability*.

Notes
-----
Children, per tract and band, for each draw: a normal on the count scale with mean the estimate and
standard error SE = MOE / 1.645 (the ACS's 90% level), **truncated at 0** (drawn conditionally on being
at least 0, by the inverse normal CDF: :math:`X = \\mu + \\sigma\\,\\Phi^{-1}(a + U(1 - a))`,
:math:`a = \\Phi(-\\mu/\\sigma)`), not clipped, so no draw piles up at exactly 0. A tract without a margin
(or with a margin of 0) keeps its estimate; one without an estimate has no probability. Bands are drawn
independently (the ACS publishes no covariance between them), and so are tracts.

Operating capacity, optionally (``capacity_sd``): each provider's operating share of its licensed slots
is drawn from a normal with mean the utilization factor and standard deviation ``capacity_sd``,
truncated to [0, 1] (a provider runs below its licence, never above it), the same share for all its
age bands in one draw.

Each draw recomputes the slots inside every tract, E2SFCA access (the fast kernel of
:mod:`gapmap.metrics.fused`, all bands and a batch of draws in one pair search) and the four desert rules
of :data:`gapmap.metrics.deserts.DESERT_RULES`. With N draws a probability's Monte-Carlo standard error is
:math:`\\sqrt{P(1 - P)/N} \\le 0.5/\\sqrt{N}` (0.016 at 1,000 draws). A tract is a *confident desert*
when P >= 0.9 and *uncertain* when 0.1 < P < 0.9 (:data:`CONFIDENT`, :data:`UNCERTAIN_BELOW`).

Draws are seeded: the same result, draws and seed give the same probabilities. The draws are not kept;
:meth:`DesertProbability.children_in_deserts` regenerates the children of each batch from the seed to
give any set of regions its expected children in deserts with a 90% interval.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr, ndtri

from gapmap import measures as M
from gapmap import schema as S
from gapmap.errors import ParameterError
from gapmap.metrics.result import MetricsResult
from gapmap.metrics.supply import compute_operating_slots

__all__ = [
    "DesertProbability",
    "compute_desert_probability",
    "draw_truncated_normal",
    "CONFIDENT",
    "UNCERTAIN_BELOW",
    "PROBABILITY_RULES",
    "MAX_DRAWS",
    "Z90",
    "default_draws",
    "with_desert_probability",
]

#: P at and above which a tract is a confident desert.
CONFIDENT = 0.9
#: P above which (and below :data:`CONFIDENT`) a tract is uncertain.
UNCERTAIN_BELOW = 0.1
#: The ACS's 90% margin: SE = MOE / Z90.
Z90 = 1.645
#: The rules a probability is computed for (keys of DESERT_RULES).
PROBABILITY_RULES: tuple[str, ...] = ("cap", "osu", "osu_extreme", "access")
#: At most this many draws (1,000 give a Monte-Carlo error under 0.016; 100,000 would take minutes).
MAX_DRAWS = 100_000
#: Bytes of one batch's largest array (draws x bands x points x 8): bounds the memory of a run.
_BATCH_BYTES = 48 * 2**20


def draw_truncated_normal(
    rng: np.random.Generator, mean: np.ndarray, sd: np.ndarray, size: int, low: float = 0.0, high: float = np.inf
) -> np.ndarray:
    """``size`` draws per element of ``mean`` (shape ``mean.shape + (size,)``) from a normal truncated to
    [low, high], by the inverse CDF; where ``sd`` is 0 the draw is the mean (clipped to the range)."""
    mu = np.asarray(mean, dtype=float)[..., None]
    sigma = np.asarray(sd, dtype=float)[..., None]
    u = rng.random(mu.shape[:-1] + (size,))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ndtr((low - mu) / sigma)
        b = ndtr((high - mu) / sigma) if np.isfinite(high) else 1.0
        x = mu + sigma * ndtri(a + u * (b - a))
    fixed = np.broadcast_to(sigma <= 0, x.shape)
    x = np.where(fixed, np.clip(np.broadcast_to(mu, x.shape), low, high), x)
    return np.clip(x, low, high)


@dataclass(frozen=True)
class DesertProbability:
    """Per tract (rows in the order of the result's tracts) and rule: ``desert_chance_<rule>_<band>`` (the
    share of draws in which the tract is a desert), ``confident_desert_<rule>_<band>`` (P >= 0.9) and
    ``uncertain_desert_<rule>_<band>`` (0.1 < P < 0.9); with ``geoid``. ``seed`` is the entropy the draws
    came from (give it back to repeat them); ``seconds`` the time the draws took."""

    tracts: pd.DataFrame
    draws: int
    seed: int
    capacity_sd: float | None
    bands: tuple[str, ...]
    seconds: float
    _est: np.ndarray = field(repr=False, compare=False)  # (n_tracts, n_bands) estimates
    _se: np.ndarray = field(repr=False, compare=False)  # and standard errors
    _bits: dict[tuple[str, str], np.ndarray] = field(repr=False, compare=False)  # (rule, band) -> packed (draws, tracts)
    _batch: int = field(repr=False, compare=False, default=1)

    @property
    def monte_carlo_error(self) -> float:
        """The largest standard error of a probability from the number of draws: 0.5 / sqrt(N)."""
        return 0.5 / np.sqrt(self.draws)

    def about(self) -> str:
        """One sentence for an About sheet (its heading: "Desert chance")."""
        cap = (
            f"; each provider's operating share drawn around the utilization factor (standard deviation {self.capacity_sd:g}, at most 1)"
            if self.capacity_sd
            else ""
        )
        return (
            f"{self.draws:,} draws of each tract's children from its ACS estimate and margin of error "
            f"(normal, SE = MOE / 1.645, at least 0; Lee 2026){cap}, seed {self.seed}; a confident desert has a "
            f"chance of {CONFIDENT:.0%} or more, an uncertain tract between {UNCERTAIN_BELOW:.0%} and {CONFIDENT:.0%} "
            f"(Monte-Carlo error at most {self.monte_carlo_error:.3f})."
        )

    def children_in_deserts(self, members: np.ndarray | sp.spmatrix, names: list[str] | None = None) -> pd.DataFrame:
        """Expected children in deserts per region, with the 90% interval of the draws.

        ``members``: (n_tracts, n_regions) booleans, tract i in region r. Returns one row per region, band
        and rule: ``region``, ``band``, ``rule``, ``expected`` (mean over draws of the children, drawn, who
        live in the region's desert tracts), ``low`` and ``high`` (5th and 95th percentiles of the draws)."""
        m = sp.csr_matrix(members, dtype=float)
        n_t, n_r = m.shape
        if n_t != len(self.tracts):
            raise ParameterError(f"members: expected {len(self.tracts)} rows (one per tract), got {n_t}")
        names = names if names is not None else [str(r) for r in range(n_r)]
        totals = {(rule, b): np.zeros((self.draws, n_r)) for rule in PROBABILITY_RULES for b in self.bands}
        for start, kids in _children_batches(self._est, self._se, self.draws, self.seed, self._batch):
            c = kids.shape[2]
            for k, b in enumerate(self.bands):
                x = kids[:, k, :]  # (n_t, c)
                for rule in PROBABILITY_RULES:
                    bits = np.unpackbits(self._bits[(rule, b)][start : start + c], axis=1, count=n_t).T.astype(bool)
                    totals[(rule, b)][start : start + c] = (m.T @ np.where(bits, x, 0.0)).T
        rows = []
        for r, name in enumerate(names):
            for b in self.bands:
                for rule in PROBABILITY_RULES:
                    v = totals[(rule, b)][:, r]
                    rows.append(
                        {
                            "region": name,
                            "band": b,
                            "rule": rule,
                            "expected": float(v.mean()),
                            "low": float(np.quantile(v, 0.05)),
                            "high": float(np.quantile(v, 0.95)),
                        }
                    )
        return pd.DataFrame(rows)


def _streams(seed: int, batches: int) -> tuple[list[np.random.SeedSequence], list[np.random.SeedSequence]]:
    """Independent seed sequences per batch for the children and for the capacities (fresh each call, so
    the same seed always gives the same sequences)."""
    kids_ss, cap_ss = np.random.SeedSequence(seed).spawn(2)
    return kids_ss.spawn(batches), cap_ss.spawn(batches)


def _inputs(result: MetricsResult, bands: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    t = result.tracts
    est = np.column_stack([t[S.BANDS[b].children].to_numpy(float) for b in bands])
    moe = np.column_stack(
        [
            t[S.moe_column(S.BANDS[b].children)].to_numpy(float) if S.moe_column(S.BANDS[b].children) in t.columns else np.zeros(len(t))
            for b in bands
        ]
    )
    return est, np.nan_to_num(moe, nan=0.0) / Z90


def _children_batches(est: np.ndarray, se: np.ndarray, draws: int, seed: int, batch: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first draw, children (n_tracts, n_bands, c)) for each batch of c draws; NaN where no estimate."""
    n_batches = -(-draws // batch)
    kid_streams, _ = _streams(seed, n_batches)
    for i in range(n_batches):
        start = i * batch
        c = min(batch, draws - start)
        rng = np.random.Generator(np.random.PCG64(kid_streams[i]))
        kids = draw_truncated_normal(rng, np.nan_to_num(est, nan=0.0), se, c)
        kids[np.isnan(est)] = np.nan
        yield start, kids


def compute_desert_probability(
    result: MetricsResult, draws: int = 1000, seed: int | None = 0, capacity_sd: float | None = None
) -> DesertProbability:
    """The chance of each tract being a desert by each rule and band, from ``draws`` Monte-Carlo draws of
    its children (and optionally of operating capacity; see the module notes). ``seed=None`` draws fresh
    entropy (kept in the result's ``seed``)."""
    if not (isinstance(draws, int | np.integer) and 1 <= draws <= MAX_DRAWS):
        raise ParameterError(f"draws = {draws!r}: expected a whole number from 1 to {MAX_DRAWS:,}")
    if capacity_sd is not None and not (np.isfinite(capacity_sd) and 0 <= capacity_sd <= 1):
        raise ParameterError(f"capacity_sd = {capacity_sd!r}: expected a standard deviation of the operating share from 0 to 1")
    t0 = time.perf_counter()
    seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)  # type: ignore[arg-type]
    draws = int(draws)
    p = result.params
    bands = tuple(result.bands)
    n_t, n_b = len(result.tracts), len(bands)
    providers = result.providers
    n_p = len(providers)
    licensed = np.column_stack([S.BANDS[b].provider_slots(providers) for b in bands]) if n_p else np.zeros((0, n_b))
    home = result.provider_home()
    inside = home >= 0
    in_tract = sp.csr_matrix((np.ones(int(inside.sum())), (home[inside], np.flatnonzero(inside))), shape=(n_t, n_p))
    grid = result.access_engine()
    batch = max(1, min(draws, _BATCH_BYTES // (8 * n_b * max(n_t, n_p, 1))))
    n_batches = -(-draws // batch)
    _, cap_streams = _streams(seed, n_batches)
    hits = {(rule, b): np.zeros(n_t) for rule in PROBABILITY_RULES for b in bands}
    bits: dict[tuple[str, str], list[np.ndarray]] = {key: [] for key in hits}
    r, e, cap_min = p.desert_children_per_slot, p.extreme_children_per_slot, p.cap_min_children
    est, se = _inputs(result, bands)
    for i, (_start, kids) in enumerate(_children_batches(est, se, draws, seed, batch)):
        c = kids.shape[2]
        if capacity_sd:
            rng = np.random.Generator(np.random.PCG64(cap_streams[i]))
            share = draw_truncated_normal(rng, np.full(n_p, p.utilization), np.full(n_p, capacity_sd), c, 0.0, 1.0)  # (n_p, c)
            operating = licensed[:, :, None] * share[:, None, :]
        else:
            operating = np.broadcast_to(compute_operating_slots(licensed, p.utilization)[:, :, None], (n_p, n_b, c))
        slots_in = (in_tract @ operating.reshape(n_p, n_b * c)).reshape(n_t, n_b, c)
        access, _ratio, _n = grid.e2sfca(kids.reshape(n_t, n_b * c), operating.reshape(n_p, n_b * c), p.decay)
        access = access.reshape(n_t, n_b, c)
        for k, b in enumerate(bands):
            x, s, a = kids[:, k, :], slots_in[:, k, :], access[:, k, :]
            with np.errstate(invalid="ignore"):
                has = x > 0  # False for no children and for no estimate (NaN)
                extreme = has & (s * e <= x)
                masks = {
                    "cap": has & (x > cap_min) & (x > r * s),
                    "osu_extreme": extreme,
                    "osu": extreme | (has & (x > r * s)),
                    "access": has & ((a * e <= 1.0) | (a * r < 1.0)),
                }
            for rule, mask in masks.items():
                hits[(rule, b)] += mask.sum(axis=1)
                bits[(rule, b)].append(np.packbits(mask.T, axis=1))
    out = pd.DataFrame({S.GEOID: result.tracts[S.GEOID].to_numpy()})
    for k, b in enumerate(bands):
        missing = np.isnan(est[:, k])
        for rule in PROBABILITY_RULES:
            chance = np.where(missing, np.nan, hits[(rule, b)] / draws)
            out[M.column(f"desert_chance_{rule}", b)] = chance
            with np.errstate(invalid="ignore"):
                confident, uncertain = chance >= CONFIDENT, (chance > UNCERTAIN_BELOW) & (chance < CONFIDENT)
            out[M.column(f"confident_desert_{rule}", b)] = pd.array(confident, dtype="boolean", copy=True)
            out[M.column(f"uncertain_desert_{rule}", b)] = pd.array(uncertain, dtype="boolean", copy=True)
            out.loc[missing, [M.column(f"confident_desert_{rule}", b), M.column(f"uncertain_desert_{rule}", b)]] = pd.NA
    packed = {key: np.concatenate(parts) for key, parts in bits.items()}
    return DesertProbability(out, draws, seed, capacity_sd or None, bands, time.perf_counter() - t0, est, se, packed, batch)


def default_draws(n_tracts: int) -> int:
    """Draws the app and the CLI make unless told: 1,000 (Monte-Carlo error at most 0.016) up to 20,000
    tracts, 200 (at most 0.035) above, where 1,000 would take a minute."""
    return 1000 if n_tracts <= 20_000 else 200


def with_desert_probability(result: MetricsResult, prob: DesertProbability) -> MetricsResult:
    """The result with the desert chance columns added to its tracts (for maps, tables and exports), and
    the probability kept with it (:meth:`MetricsResult.desert_probability`)."""
    if len(prob.tracts) != len(result.tracts) or not (prob.tracts[S.GEOID].to_numpy() == result.tracts[S.GEOID].to_numpy()).all():
        raise ParameterError("the desert probability is of other tracts than this result's")
    tracts = result.tracts.copy(deep=False)
    for col in prob.tracts.columns:
        if col != S.GEOID:
            tracts[col] = prob.tracts[col].array
    out = dataclasses.replace(result, tracts=tracts)
    out._kept.update({k: v for k, v in result._kept.items() if not k.startswith("scenario_")}, desert_probability=prob)
    return out
