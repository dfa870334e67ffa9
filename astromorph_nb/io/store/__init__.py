"""What the package keeps between runs: session folders, checkpoints, shipped weights (io layer).

``session_folder`` writes and reads a saved session (its metadata table through
``_meta_table``, its torch state through ``_state_file``), checked by ``schema`` (the fields)
and ``safety`` (paths and sizes); ``checkpoints`` holds training state; ``pretrained`` the
weights in ``weights/``.
"""
