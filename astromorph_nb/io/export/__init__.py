"""Results written for other tools and readers (io layer).

``tables`` (FITS, ECSV, CSV, Parquet), ``tensorboard`` (the projector's files),
``html_page`` (a self-contained companion page), ``readable_text`` (names every format can
hold) and ``output_checks`` (checks made before the work that produces an output).
"""
