"""What a hub decides with the metrics: ranking tracts (:mod:`.ranking`), simulating added or lost slots
(:mod:`.scenarios`) and suggesting where new sites help most (:mod:`.siting`).

Layer: above :mod:`gapmap.metrics`, below :mod:`gapmap.regions`. It may import :mod:`gapmap.metrics`,
:mod:`gapmap.sources` and the foundation (``errors``, ``config``, ``schema``, ``measures``).
"""
