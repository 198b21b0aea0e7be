"""MiniLM encoders compared for topic maps: CPU, cosine to the float model, and the pipeline's
NMI / ARI / groups' coarse NMI at three seeds (issue 13).

    .venv/bin/python bench/topic_encoders.py ["fp32,int8 pc full-range,..."]
"""

import os
import sys
import time
import copy
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score as nmi, adjusted_rand_score as ari  # noqa: E402
from topics import load  # noqa: E402
from evaltui.topics.embed import load_model  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import groups as G  # noqa: E402
from evaltui.topics.represent import SentenceWeights, sentences, combine  # noqa: E402
from torch.ao.quantization import per_channel_dynamic_qconfig, default_dynamic_qconfig, quantize_dynamic  # noqa: E402

base = load_model("all-MiniLM-L6-v2")


def q(spec):
    return quantize_dynamic(copy.deepcopy(base), spec)


V = {
    "fp32": base,
    "int8 all pc": load_model("all-MiniLM-L6-v2-int8"),
    "int8 all pt": q({torch.nn.Linear: default_dynamic_qconfig}),
}
names = [n for n, m in base.named_modules() if isinstance(m, torch.nn.Linear)]
full = q({torch.nn.Linear: per_channel_dynamic_qconfig})
for mod in full.modules():
    if type(mod).__name__ == "Linear" and hasattr(mod, "_packed_params"):
        mod.version = 3
V["int8 pc full-range"] = full
full_pt = q({torch.nn.Linear: default_dynamic_qconfig})
for mod in full_pt.modules():
    if hasattr(mod, "_packed_params"):
        mod.version = 3
V["int8 pt full-range"] = full_pt
V["int8 ffn pc"] = q(
    {
        n: per_channel_dynamic_qconfig
        for n in names
        if "intermediate" in n or ("output.dense" in n and "attention" not in n)
    }
)
V["int8 no-last-layer pc"] = q({n: per_channel_dynamic_qconfig for n in names if "layer.5." not in n})
only = sys.argv[1].split(",") if len(sys.argv) > 1 else list(V)
for ds in ("sample_logs", "bitext", "clinc150"):
    texts, fine, coarse = load(ds)
    w = SentenceWeights.fit(texts)
    uniq = list(dict.fromkeys(s for x in texts for s in sentences(x)))
    ref = None
    for name in only:
        m = V[name]
        c = time.process_time()
        mat = m.encode(uniq, batch_size=64, normalize_embeddings=True)
        cpu = time.process_time() - c
        if ref is None:
            ref = mat
        vec = combine(texts, w, dict(zip(uniq, mat)))
        out = []
        for seed in (42, 1, 2):
            lab, graph, _ = C.cluster_resolved(vec, C.ClusterParams(seed=seed))
            g = G.group_topics(graph, lab)
            grp = np.where(lab >= 0, g[np.maximum(lab, 0)], -1)
            out.append(
                (round(nmi(fine, lab), 3), round(ari(fine, lab), 3), round(nmi(coarse, grp), 3), int(g.max()) + 1)
            )
        print(
            f"{ds:12s} {name:22s} cpu {cpu:5.1f} cos {float((mat * ref).sum(1).mean()):.4f} (nmi, ari, groupnmi, ngroups) x seeds 42,1,2: {out}",
            flush=True,
        )
print(os.getloadavg())
