"""The cells of ``examples/08_discovery.ipynb``: search with answers, anomalies, explain."""

from __future__ import annotations

from notebook_cells import INLINE, QUICK_CELL, header

DISCOVERY = [
    header(
        "08 Discovery: find more like these, and what the map encodes",
        "Start from one interesting object, find the others of its kind with a few rounds of "
        "yes/no answers, re-rank anomalies with what you found boring, then ask which "
        "physical quantities the embeddings order the objects by. A rare kind of "
        "protoplanetary disk (1 % of the set: lopsided crescents) hides among generated "
        "ALMA-like disks whose true parameters are known.",
        "about 2 minutes on a laptop CPU (no training: the shipped weights embed the images).",
        "not needed.",
    ),
    QUICK_CELL,
    "## A set with a rare kind hidden in it\n\nSix common kinds of disk, and crescents (dust "
    "trapped on one side of the disk) at 1 % of the set. `Session.from_arrays` takes the "
    "images and a metadata table with the generator's parameters.",
    INLINE
    + """\
import numpy as np
from astropy.table import vstack

import astromorph_nb as amn

n_common = 60 if QUICK else 400
common_kinds = ["smooth", "rings", "cavity", "spiral", "binary", "edge_on"]
common = amn.datasets.protoplanetary_disks(
    n_per_class=n_common, image_size=64, classes=common_kinds, random_state=0
)
n_rare = max(3, round(0.01 * len(common) / 0.99))
rare = amn.datasets.protoplanetary_disks(
    n_per_class=n_rare, image_size=64, classes=["crescent"], random_state=1
)
pixels = np.concatenate([common.images.numpy(), rare.images.numpy()])
session = amn.Session.from_arrays(
    pixels, vstack([common.meta, rare.meta]), normalize=None, random_state=0
)
session.analyse(n_clusters=7)
is_rare = np.asarray(session.meta["label"]) == "crescent"
print(f"{session.n_images} disks, {is_rare.sum()} of them crescents")""",
    "## One example, plain similarity\n\n`search` ranks every object by its likeness to the "
    "examples. With one example it is the cosine similarity of the embeddings, as in "
    "`neighbors`.",
    """\
example = int(np.flatnonzero(is_rare)[0])
first = session.search(example, k=50)
print(
    f"{first.meta['method']}: {is_rare[first['index']].sum()} of the other "
    f"{is_rare.sum() - 1} crescents in the first 50 candidates"
)
first[:8]["rank", "index", "score", "label"]""",
    "## Answer, re-rank, repeat\n\nIn the explorer, the **Find more like these** panel shows "
    "the candidates as a gallery with Yes / No / Skip under each cutout; every answer is "
    "stored as a tag and re-ranks at once. Here the first 20 candidates of three rounds are "
    'answered from the true labels, as you would by eye. After the first "no", a '
    "classifier (logistic regression on the embeddings) takes over from plain similarity. "
    "The answers are the tags `crescent_hunt` (yes) and `crescent_hunt_no`.",
    """\
from astromorph_nb.session.discovery import answer_tags

yes, no, skipped = answer_tags("crescent_hunt")
session.tag(example, yes)
for round_number in range(1, 4):
    candidates = session.search(yes, no, k=20)
    for index in candidates["index"]:
        session.tag(int(index), yes if is_rare[index] else no)
    print(
        f"round {round_number} ({candidates.meta['method']}): "
        f"{int(session.meta[yes].sum())} crescents confirmed, "
        f"{int(session.meta[no].sum())} answers no"
    )

ranking = session.search(yes, no, k=None)
top = np.concatenate([np.flatnonzero(session.meta[yes]), ranking["index"]])[:50]
print(
    f"crescents in the first 50 (confirmed ones first): {is_rare[top].sum()} of "
    f"{is_rare.sum()}; with plain similarity: {is_rare[first['index'][:49]].sum() + 1}"
)""",
    "The search score colours the map (the confirmed crescents are ringed), and the explorer's "
    "panel goes on from these tags:",
    """\
session.plot_map(color="search_score", n_cutouts=0, highlight=np.flatnonzero(session.meta[yes]))""",
    'session.explorer(color="search_score")',
    "## Anomalies, re-weighted by your answers\n\nThe most unusual objects are often unusual "
    "for dull reasons. Mark some as boring (or interesting) and the ranking follows, as in "
    "Astronomaly (Lochner & Bassett 2021): objects near boring answers sink, unexplored "
    "regions keep their rank. In the explorer, the gallery's **Unusual objects** mode does "
    "this with a star (interesting) and a thumbs-down (boring) button on every cutout; its "
    "answers are the same tags.",
    """\
plain = session.score_anomalies()
most_unusual = np.argsort(-plain)[:20]
print(f"crescents among the 20 most unusual: {is_rare[most_unusual].sum()}")
# Looking for crescents, you mark the others among these 20 boring, the crescents interesting.
session.tag(most_unusual[~is_rare[most_unusual]], "boring")
session.tag(most_unusual[is_rare[most_unusual]], "interesting")
reweighted = session.score_anomalies(interesting="interesting", boring="boring")
answered = session.meta["boring"] | session.meta["interesting"]
fresh = np.argsort(-reweighted)[~answered[np.argsort(-reweighted)]][:20]
print(f"crescents among the next 20 most unusual, after the answers: {is_rare[fresh].sum()}; "
      f"without them: {is_rare[np.argsort(-plain)[20:40]].sum()}")""",
    "## What the map encodes\n\n`explain` predicts every metadata column from each object's "
    "nearest neighbours in embedding space (R² for numbers, balanced accuracy for categories) and "
    "compares it with the same prediction after shuffling the values: the null level. The "
    "generator's parameters (inclination, beam, signal-to-noise, ...) show which physical "
    "and observational quantities the embeddings order the disks by; tags are columns too.",
    """\
table = session.explain(n_shuffles=5 if QUICK else 20)
table["column", "metric", "score", "null_mean", "null_std", "skill", "n_values"][:12]""",
    "session.plot_explain(n_shuffles=5 if QUICK else 20)",
    "## Walk along a direction\n\nFrom the smallest to the largest disks (the lowest and "
    "highest fifth of `radius_px`), ten disks evenly spaced along the direction between "
    "them: a trend to see, and a figure for a paper. Two groups work too (indices, masks or "
    "tag names): `session.gallery_along(group_a, group_b)`.",
    'session.gallery_along("radius_px", n=10)',
    "Everything found here is in the session's metadata, so `session.save(...)`, "
    "`session.export(...)` and the companion page keep the answers.",
    'session.meta[yes, no, "interesting", "boring"][-5:]',
]
