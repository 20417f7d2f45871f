"""Every way data comes in: the one safe file reader (:mod:`.files`), provider lists (:mod:`.providers`,
:mod:`.provider_steps`), tracts and TIGER shapes (:mod:`.geography`), the Census API (:mod:`.census`), the
Census geocoder (:mod:`.geocode`), saved datasets (:mod:`.datasets`), region files and the region model
(:mod:`.region_files`), RUCA codes (:mod:`.ruca`), ACS margin-of-error arithmetic (:mod:`.acs`), the demo
region (:mod:`.demo`), and the HTTP session and cache folders (:mod:`.session`).

Layer: the bottom, above the foundation. It may import ``gapmap.errors``, ``gapmap.config``,
``gapmap.schema`` and ``gapmap.measures``; never :mod:`gapmap.metrics` or anything above.
"""
