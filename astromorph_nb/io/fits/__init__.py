"""Reading FITS files into image sets, and writing image sets as FITS files (io layer).

``reader`` (:func:`read_fits`) expands the sources (``sources``, ``file_patterns``), reads
the files in chunks (``chunks``, ``stacking``), each file through ``stream`` (decompressed,
verified bytes), ``hdus`` (which HDU), ``header_cards`` and ``file`` (checks, cubes), and
brings them to one size (``sizes``). ``writer`` writes one file per image; ``run_cache``
holds one run's memory-mapped stacks.
"""
