"""Compares this library's IBSI features with MIRP's on the same case, for benches/ibsi_vs_mirp.sh.

    python3 benches/compare_ibsi_mirp.py OURS_CSV MIRP_CSV REFERENCE_VALUES_CSV CONFIG

For every feature the IBSI reference table lists for CONFIG (e.g. ct_config_C; diagnostics left out),
looks up both values (MIRP's names mapped to the template tags) and counts those that agree within the
tolerance IBSI gives that feature for that configuration, or to 3 significant digits. Prints the count,
the largest relative difference and every disagreement. Needs only the standard library.
"""
import csv
import sys


def read(path):
    with open(path, newline="") as f:
        return {r["name"]: float(r["value"]) for r in csv.DictReader(f)}


def mirp_tag(name):
    for cut in ("_fbs_w25.0", "_fbn_n32", "_d1_a0.0", "_d1"):
        name = name.replace(cut, "")
    for src, dst in (("_2d_avg", "_2D_avg"), ("_2d_s_mrg", "_2D_comb"), ("_2.5d_d_mrg", "_2_5D_avg"),
                     ("_2.5d_v_mrg", "_2_5D_comb"), ("_3d_avg", "_3D_avg"), ("_3d_v_mrg", "_3D_comb"),
                     ("_2.5d", "_2_5D"), ("_2d", "_2D"), ("_3d", "_3D")):
        if name.endswith(src):
            return name[: -len(src)] + dst
    return name


def round3(x):
    return float(f"{x:.2e}") if x != 0 and x == x and abs(x) != float("inf") else x


ours_path, mirp_path, refs_path, config = sys.argv[1:5]
ours = read(ours_path)
mirp = {mirp_tag(k): v for k, v in read(mirp_path).items()}
with open(refs_path, newline="") as f:
    refs = [r for r in csv.DictReader(f) if r["phantom_config"] == config and r["family"] != "diagnostics"]
agree, worst, misses = 0, (0.0, ""), []
for r in refs:
    tag, tol = r["template_tag"], float(r["tolerance"])
    if tag not in ours or tag not in mirp:
        misses.append(f"{tag}: missing ({'ours' if tag not in ours else 'MIRP'})")
        continue
    o, m = ours[tag], mirp[tag]
    rel = abs(o - m) / max(abs(m), 1e-300)
    if rel > worst[0]:
        worst = (rel, tag)
    if abs(o - m) <= tol + 1e-9 * abs(m) or round3(o) == round3(m):
        agree += 1
    else:
        misses.append(f"{tag}: {o!r} vs MIRP {m!r} (tolerance {tol})")
print(f"agreement: {agree} / {len(refs)} features within IBSI's tolerance or to 3 significant digits; "
      f"largest relative difference {worst[0]:.2e} ({worst[1]})")
for m in misses:
    print("  differs:", m)
