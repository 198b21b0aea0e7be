"""How much hangs on the resolution, on every shared data set and the stand-ins
(issue 13): NMI / ARI / topics at a grid of CPM resolutions (0.0075 x 2^(i/2), i = -4..9,
printed in units of each graph's density p), beside BERTopic's NMI / ARI from the same
stand-in draws (bench/RESULTS.md, "Every shared set, and stand-ins"). Shows which multiple
of p each set wants and whether any reaches BERTopic + 0.03. Embeddings (int8 default)
are cached in a DuckDB store under the given directory.

    PYTHONPATH=. .venv/bin/python bench/topic_grid.py [cache_dir] [--seeds 13,14]
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
from topics import scores, study_sets  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import text_vectors  # noqa: E402

# BERTopic 0.17.4 defaults, NMI / ARI, from the run recorded in bench/RESULTS.md (same draws)
BERTOPIC = {
    "bitext": (0.738, 0.274),
    "bitext_gpt35": (0.710, 0.212),
    "clinc150": (0.799, 0.202),
    "sample_logs": (0.665, 0.269),
    "clinc150_77x30@13": (0.903, 0.694),
    "clinc150_64x17_oos@13": (0.855, 0.462),
    "bitext_3080@13": (0.757, 0.347),
    "bitext_1076@13": (0.791, 0.534),
    "sample_logs_1000@13": (0.684, 0.326),
    "clinc150_77x30@14": (0.911, 0.742),
    "clinc150_64x17_oos@14": (0.854, 0.496),
    "bitext_3080@14": (0.758, 0.372),
    "bitext_1076@14": (0.834, 0.638),
    "sample_logs_1000@14": (0.676, 0.333),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", nargs="?", default="/tmp/topic_grid")
    parser.add_argument("--seeds", default="13,14", help="stand-in draws")
    args = parser.parse_args()
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    sets = study_sets(args.seeds)
    print(
        "set | n | BERTopic NMI/ARI | best NMI on the grid (at) | default 0.0075 (at) | NMI/ARI/topics at each multiple of p"
    )
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in sets:
            texts, fine, coarse = loader()
            vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
            idx, sim = N.knn(vectors, N.neighbours(len(vectors), C.ClusterParams().n_neighbors))
            p = C.density(C.fuzzy_graph(idx, sim))
            cells, best, default = [], (0.0, 0.0), ""
            for i in range(-4, 10):
                r = 0.0075 * 2 ** (i / 2)
                s = scores(C.cluster_resolved(vectors, C.ClusterParams(resolution=r, refine=False))[0], fine, coarse)
                cells.append(f"{r / p:.1f}p:{s['nmi']:.3f}/{s['ari']:.2f}/{s['topics']}")
                best = max(best, (s["nmi"], r / p))
                if i == 0:
                    default = f"{s['nmi']:.3f} ({r / p:.1f}p)"
            bt = BERTOPIC.get(name, (float("nan"), float("nan")))
            print(
                f"{name} | {len(texts)} | {bt[0]:.3f}/{bt[1]:.3f} | {best[0]:.3f} ({best[1]:.1f}p) | {default} | "
                + " ".join(cells),
                flush=True,
            )


if __name__ == "__main__":
    main()
