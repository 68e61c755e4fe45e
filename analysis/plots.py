#!/usr/bin/env python3
"""Plots of scaleout's reports (Debian's python3-matplotlib; nothing else).

    plots.py report REPORT.json --output DIR     # what `scaleout report --plots DIR` runs
    plots.py bench BENCH.json [BENCH.json ...] --output DIR [--labels before,after]
    plots.py fabric FABRIC.json --output DIR      # what `scaleout fabric --plots DIR` runs

report: from `scaleout report --format json`: compute and exposed communication per group stacked
against the scale with the crossover marked, scaling efficiency, the step-time distribution per
scale, and the step by the link of the chain it spent its time on (calculation, memory bandwidth, the
node's fabric, the network, the bubble) with the binding one named, and the message sizes per group at
the largest scale (counts and bytes); then DIR/report.md, the scaling table with the plots embedded.
bench: busbw against message size from `scaleout bench --output X.json` files, one line per file and
collective (before/after an upgrade, say).
fabric: the bandwidth each way between every pair of participants as a heatmap (fabric.png; with
--per-rail one per rail, fabric-rail-N.png), the participants named slow in red.
Every plot is written as PNG and SVG. The names of the files written are printed, one per line.
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Text stays text in SVG, and every bar and line carries an id (part-scale, run-collective), so that
# what a plot shows can be read back from its SVG.
plt.rcParams["svg.fonttype"] = "none"


def save(figure, folder, name, written):
    for extension in ("png", "svg"):
        path = os.path.join(folder, f"{name}.{extension}")
        figure.savefig(path, dpi=120, bbox_inches="tight")
        written.append(path)
    plt.close(figure)


def stack(axes, positions, labels, parts):
    """Bars of each (name, values) stacked at the positions, each with an id NAME-LABEL; the tops."""
    bottom = [0.0] * len(positions)
    for name, values in parts:
        bars = axes.bar(positions, values, bottom=bottom, label=name)
        for bar, label in zip(bars, labels):
            bar.set_gid(f"{name.replace(' ', '_').replace(chr(39), '')}-{label}")
        bottom = [b + v for b, v in zip(bottom, values)]
    return bottom


def label_stacked(axes, positions, labels, unit, title):
    axes.set_xticks(positions, labels)
    axes.set_xlabel(unit)
    axes.set_ylabel("ms per step (median over steps, mean over ranks)")
    axes.set_title(title)
    axes.legend()


def size_label(upto):
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if upto >= size:
            return f"{upto // size}{unit}"
    return str(upto)


def message_sizes_plot(point, unit, folder, written):
    """5. The operations a step issues per group by size (up to each power of two), as counts and as
    bytes, at the largest scale; False when it has none."""
    sizes = point.get("message_sizes") or {}
    groups = sorted(sizes)
    bins = sorted({b["upto_bytes"] for g in groups for b in sizes[g]})
    if not bins:
        return False
    figure, (counts, volume) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(groups)
    for i, group in enumerate(groups):
        by_bin = {b["upto_bytes"]: b for b in sizes[group]}
        positions = [j + (i - (len(groups) - 1) / 2) * width for j in range(len(bins))]
        for axes, field, scale in ((counts, "operations", 1), (volume, "bytes", 1e-6)):
            bars = axes.bar(positions, [by_bin[b][field] * scale if b in by_bin else 0 for b in bins], width,
                            label=group)
            for bar, upto in zip(bars, bins):
                bar.set_gid(f"{field}-{group}-{upto}")
    for axes, ylabel in ((counts, "operations per step (all ranks)"), (volume, "MB per step (all ranks)")):
        axes.set_xticks(range(len(bins)), [size_label(b) for b in bins], rotation=45)
        axes.set_xlabel("size up to (bytes)")
        axes.set_ylabel(ylabel)
        axes.legend()
    figure.suptitle(f"Message sizes per group at {point[unit]} {unit}")
    save(figure, folder, "message_sizes", written)
    return True


def report_plots(report, folder):
    points = report["points"]
    unit = report["scale"]
    scales = [p[unit] for p in points]
    labels = [str(s) for s in scales]
    positions = list(range(len(points)))
    written = []

    # 1. Where the step goes: compute and each group's exposed communication, stacked, per scale.
    figure, axes = plt.subplots(figsize=(7, 4.5))
    parts = [("compute", [p["compute_s"] * 1e3 for p in points])]
    groups = sorted({g for p in points for g in p["exposed_s"]})
    parts += [(f"exposed {g}", [p["exposed_s"].get(g, 0.0) * 1e3 for p in points]) for g in groups]
    if any(p["bubble_s"] > 0 for p in points):
        parts.append(("pipeline bubble", [p["bubble_s"] * 1e3 for p in points]))
    stack(axes, positions, labels, parts)
    crossover = report["crossover"]
    if crossover["reached"] and not crossover["at_smallest_scale"]:
        # The crossover between two measured scales, placed by interpolation on the bar axis.
        lower = scales.index(crossover["below"])
        fraction = (crossover["at"] - crossover["below"]) / (crossover["above"] - crossover["below"])
        axes.axvline(lower + fraction, color="black", linestyle="--",
                     label=f"crossover at {crossover['at']:.2f} {unit}")
    label_stacked(axes, positions, labels, unit, "Compute and exposed communication per step")
    save(figure, folder, "breakdown", written)

    # 2. Scaling efficiency.
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(scales, [100 * p["efficiency"] for p in points], marker="o", gid="efficiency")
    axes.axhline(100, color="grey", linewidth=0.8)
    axes.set_xscale("log", base=2)
    axes.set_xticks(scales, labels)
    axes.set_xlabel(unit)
    axes.set_ylabel("efficiency (%)")
    axes.set_ylim(bottom=0)
    axes.set_title(f"{report['scaling'].capitalize()} scaling efficiency")
    save(figure, folder, "efficiency", written)

    # 3. The step time's distribution at every scale.
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.boxplot([[t * 1e3 for t in p["step_times_s"]] for p in points], positions=positions, widths=0.5)
    axes.set_xticks(positions, labels)
    axes.set_xlabel(unit)
    axes.set_ylabel("job step time (ms)")
    axes.set_title("Step time per scale (slowest rank per step)")
    save(figure, folder, "step_times", written)

    # 4. The chain from the chip outward: compute split by what bounds it, exposed communication by the
    # tier it crossed, the bubble; the link that binds named over each bar.
    figure, axes = plt.subplots(figsize=(7, 4.5))
    memory = [p["compute_s"] * p.get("memory_bound_share", 0.0) for p in points]
    tiers = [("calculation", [(p["compute_s"] - m) * 1e3 for p, m in zip(points, memory)]),
             ("memory bandwidth", [m * 1e3 for m in memory]),
             ("the node's fabric", [p["exposed_tier_s"]["intra_node"] * 1e3 for p in points]),
             ("the network", [p["exposed_tier_s"]["network"] * 1e3 for p in points]),
             ("pipeline bubble", [p["bubble_s"] * 1e3 for p in points])]
    tops = stack(axes, positions, labels, [(name, values) for name, values in tiers if any(v > 0 for v in values)])
    for position, top, p in zip(positions, tops, points):
        axes.annotate(p["binding"], (position, top), ha="center", va="bottom", fontsize=8,
                      gid=f"binding-{labels[position]}")
    label_stacked(axes, positions, labels, unit, "Where the step is bound: chip, memory, node, network")
    save(figure, folder, "tiers", written)

    sections = [("breakdown", "Compute and exposed communication"), ("efficiency", "Scaling efficiency"),
                ("step_times", "Step time per scale"), ("tiers", "Where the step is bound")]
    if message_sizes_plot(points[-1], unit, folder, written):
        sections.append(("message_sizes", "Message sizes per group"))

    markdown = os.path.join(folder, "report.md")
    with open(markdown, "w") as f:
        f.write(report.get("markdown", "") + "\n")
        for name, title in sections:
            f.write(f"## {title}\n\n![{title}]({name}.png)\n\n")
    written.append(markdown)
    return written


def bench_plots(files, labels, folder):
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for path, label in zip(files, labels):
        with open(path) as f:
            bench = json.load(f)
        collectives = sorted({r["collective"] for r in bench["results"]})
        for collective in collectives:
            rows = sorted((r for r in bench["results"] if r["collective"] == collective), key=lambda r: r["bytes"])
            axes.plot([r["bytes"] for r in rows], [r["busbw_gbs"] for r in rows], marker="o",
                      label=f"{label}: {collective}", gid=f"{label}-{collective}")
    axes.set_xscale("log", base=2)
    axes.set_xlabel("message size (bytes)")
    axes.set_ylabel("busbw (GB/s)")
    axes.set_title("Bus bandwidth against message size")
    axes.legend()
    written = []
    save(figure, folder, "busbw", written)
    return written


def fabric_plots(fabric, folder):
    """The bandwidth each way between every pair of participants, one heatmap per group (all, or each
    rail), named participants' labels in red; with switches (topology.conf) the participants ordered by
    their leaf switch, each switch's block framed and its name in the labels."""
    labels = fabric["labels"]
    index = {label: k for k, label in enumerate(labels)}
    written = []
    for group in fabric["groups"]:
        switch_of = {p["label"]: p.get("switch") for p in group["participants"]}
        order = sorted(range(len(group["participants"])),
                       key=lambda k: (switch_of[group["participants"][k]["label"]] is None,
                                      str(switch_of[group["participants"][k]["label"]]), k))
        members = [index[group["participants"][k]["label"]] for k in order]
        matrix = [[fabric["bandwidth_gbs"][a][b] for b in members] for a in members]
        values = [[float("nan") if v is None else v for v in row] for row in matrix]
        size = max(4.0, 0.45 * len(members) + 2.5)
        figure, axes = plt.subplots(figsize=(size + 1.5, size))
        image = axes.imshow(values, cmap="viridis", vmin=0, gid="bandwidth")
        figure.colorbar(image, ax=axes, label="GB/s each way")
        switches = [switch_of[labels[k]] for k in members]
        names = [labels[k] if s is None else f"{labels[k]} ({s})" for k, s in zip(members, switches)]
        named = {n["label"] for n in group["nodes"]} | {p["a"] for p in group["pairs"]} | {p["b"] for p in group["pairs"]}
        named |= {m for s in group.get("switches", []) for m in s["members"]}
        axes.set_xticks(range(len(names)), names, rotation=90)
        axes.set_yticks(range(len(names)), names)
        for tick, k in zip(axes.get_xticklabels() + axes.get_yticklabels(), members + members):
            if labels[k] in named:
                tick.set_color("red")
        for k in range(1, len(switches)):
            if switches[k] != switches[k - 1]:
                axes.axhline(k - 0.5, color="white", linewidth=1.5)
                axes.axvline(k - 0.5, color="white", linewidth=1.5)
        axes.set_xlabel("to")
        axes.set_ylabel("from")
        title = f"Bandwidth between pairs, {fabric['size_bytes']} B each way"
        axes.set_title(title if group["name"] == "all" else f"{title} ({group['name']})")
        save(figure, folder, "fabric" if group["name"] == "all" else "fabric-" + group["name"].replace(" ", "-"), written)
    return written


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["report", "bench", "fabric"])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--output", required=True)
    parser.add_argument("--labels", help="bench: one label per file, comma-separated (default: the file names)")
    args = parser.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    if args.kind == "report":
        with open(args.inputs[0]) as f:
            written = report_plots(json.load(f), args.output)
    elif args.kind == "fabric":
        with open(args.inputs[0]) as f:
            written = fabric_plots(json.load(f), args.output)
    else:
        labels = args.labels.split(",") if args.labels else [os.path.basename(p) for p in args.inputs]
        if len(labels) != len(args.inputs):
            parser.error("--labels: one label per file")
        written = bench_plots(args.inputs, labels, args.output)
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
